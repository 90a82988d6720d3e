/**
 * Renormalisation: the final results handed out within renormalization_window_days, with their raw
 * score and the score they were last given, so that their scores follow the normaliser as it learns.
 */
import { roundScore, type ScoreNormaliser } from '../normaliser.js';
import type { ScoreUpdate } from '../results.js';

/** A stored result whose score may change (the layout of JobStateBody.kept). */
export interface Kept {
  id: string;
  kind: 'bucket' | 'record' | 'influencer';
  timestamp: number;
  raw: number;
  score: number;
  /** Buckets: raw score per influencer field (bucket_influencers). */
  fields?: [string, number][];
}

export class ScoreWindow {
  kept: Kept[] = [];

  keep(k: Kept): void {
    this.kept.push(k);
  }

  /** Forgets results older than `horizon`. */
  forgetBefore(horizon: number): void {
    if (this.kept.length > 0 && this.kept[0].timestamp < horizon) this.kept = this.kept.filter((k) => k.timestamp >= horizon);
  }

  /**
   * The current scores of the kept results whose score changed since they were handed out (or
   * last renormalised); they are taken as the results' scores from now on.
   */
  renormalise(n: ScoreNormaliser): ScoreUpdate[] {
    const updates: ScoreUpdate[] = [];
    for (const k of this.kept) {
      const s = roundScore(n.normalise(k.raw));
      if (Math.abs(s - k.score) < 1e-6) continue;
      k.score = s;
      if (k.kind === 'record') updates.push({ id: k.id, result_type: 'record', timestamp: k.timestamp, record_score: s });
      else if (k.kind === 'influencer') updates.push({ id: k.id, result_type: 'influencer', timestamp: k.timestamp, influencer_score: s });
      else {
        updates.push({
          id: k.id,
          result_type: 'bucket',
          timestamp: k.timestamp,
          anomaly_score: s,
          bucket_influencers: (k.fields ?? []).map(([f, raw]) => ({ influencer_field_name: f, anomaly_score: roundScore(n.normalise(raw)) })),
        });
      }
    }
    return updates;
  }
}
