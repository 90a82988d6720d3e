/**
 * A bucket's result documents in Elastic's shape, from its scored records: record scores through
 * the job's normaliser, influencers (the highest raw score and lowest probability of the records
 * each (field, value) influenced), the bucket with its bucket_influencers (per influencer field,
 * and bucket_time), and the model plots. Final results whose score is above 0 join the
 * renormalisation window.
 */
import type { JobEvent } from '../controls.js';
import type { PendingRecord } from '../detector-runner.js';
import { roundScore, type ScoreNormaliser } from '../normaliser.js';
import { resultId, type BucketDoc, type BucketInfluencerDoc, type InfluencerDoc, type ModelPlotDoc } from '../results.js';
import type { PendingResults } from './pending-results.js';
import type { ScoreWindow } from './score-window.js';

/** Where a bucket's results go and what scores them. */
export interface BucketResultsTarget {
  jobId: string;
  spanMs: number;
  normaliser: ScoreNormaliser;
  pending: PendingResults;
  window: ScoreWindow;
  /** Monotonic clock, ms (processing_time_ms). */
  now: () => number;
}

/**
 * Adds the results of `bucket` to the pending results.
 *
 * @param events the bucket's event count (event_count).
 * @param t0 when processing the bucket began (the `now` clock).
 * @param scheduled the scheduled events over the bucket (scheduled_events).
 */
export function emitBucketResults(
  target: BucketResultsTarget,
  bucket: number,
  records: PendingRecord[],
  plots: ModelPlotDoc[],
  events: number,
  interim: boolean,
  t0: number,
  scheduled: JobEvent[] = [],
): void {
  const n = target.normaliser;
  const jobId = target.jobId;
  const spanS = target.spanMs / 1000;
  const kept = target.window;
  let rawMax = 0;
  let minP = 1;
  // influencers: (field, value) → highest raw score and lowest probability of the records they influenced
  const infl = new Map<string, { field: string; value: string; raw: number; p: number }>();
  const fieldRaw = new Map<string, { raw: number; p: number }>();
  const out = target.pending.results;
  for (const r of records) {
    const score = roundScore(n.normalise(r.raw));
    r.doc.record_score = score;
    r.doc.initial_record_score = score;
    if (r.influences.length > 0) {
      r.doc.influencers = r.influences;
      for (const i of r.influences) {
        if (!(i.influencer_field_name in r.doc)) r.doc[i.influencer_field_name] = [...i.influencer_field_values];
      }
    }
    for (const [name, value] of [
      [r.doc.partition_field_name, r.doc.partition_field_value],
      [r.doc.by_field_name, r.doc.by_field_value],
      [r.doc.over_field_name, r.doc.over_field_value],
    ] as const) {
      if (name !== undefined && value !== undefined && !(name in r.doc)) r.doc[name] = [value];
    }
    if (r.raw > rawMax) rawMax = r.raw;
    if (r.doc.probability < minP) minP = r.doc.probability;
    for (const i of r.influences) {
      for (const v of i.influencer_field_values) {
        const key = `${i.influencer_field_name}\u0000${v}`;
        const e = infl.get(key);
        if (!e) infl.set(key, { field: i.influencer_field_name, value: v, raw: r.raw, p: r.doc.probability });
        else {
          if (r.raw > e.raw) e.raw = r.raw;
          if (r.doc.probability < e.p) e.p = r.doc.probability;
        }
      }
      const f = fieldRaw.get(i.influencer_field_name);
      if (!f) fieldRaw.set(i.influencer_field_name, { raw: r.raw, p: r.doc.probability });
      else {
        if (r.raw > f.raw) f.raw = r.raw;
        if (r.doc.probability < f.p) f.p = r.doc.probability;
      }
    }
    out.records.push(r.doc);
    if (!interim && score > 0) kept.keep({ id: resultId(r.doc), kind: 'record', timestamp: bucket, raw: r.raw, score });
  }
  const bucketScore = roundScore(n.normalise(rawMax));
  const bucketInfluencer = (field: string, raw: number, p: number): BucketInfluencerDoc => {
    const s = roundScore(n.normalise(raw));
    return {
      job_id: jobId,
      result_type: 'bucket_influencer',
      influencer_field_name: field,
      initial_anomaly_score: s,
      anomaly_score: s,
      raw_anomaly_score: roundScore(raw),
      probability: p,
      timestamp: bucket,
      bucket_span: spanS,
      is_interim: interim,
    };
  };
  const bucketInfluencers: BucketInfluencerDoc[] = [];
  if (records.length > 0) {
    for (const [field, f] of [...fieldRaw].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) bucketInfluencers.push(bucketInfluencer(field, f.raw, f.p));
    bucketInfluencers.push(bucketInfluencer('bucket_time', rawMax, minP));
  }
  for (const e of infl.values()) {
    const s = roundScore(n.normalise(e.raw));
    const doc: InfluencerDoc = {
      job_id: jobId,
      result_type: 'influencer',
      influencer_field_name: e.field,
      influencer_field_value: e.value,
      influencer_score: s,
      initial_influencer_score: s,
      probability: e.p,
      bucket_span: spanS,
      is_interim: interim,
      timestamp: bucket,
    };
    if (!(e.field in doc)) doc[e.field] = e.value;
    out.influencers.push(doc);
    if (!interim && s > 0) kept.keep({ id: resultId(doc), kind: 'influencer', timestamp: bucket, raw: e.raw, score: s });
  }
  for (const p of plots) out.modelPlots.push(p);
  const doc: BucketDoc = {
    job_id: jobId,
    result_type: 'bucket',
    timestamp: bucket,
    bucket_span: spanS,
    anomaly_score: bucketScore,
    initial_anomaly_score: bucketScore,
    event_count: events,
    is_interim: interim,
    processing_time_ms: Math.round(Math.max(0, target.now() - t0)),
    bucket_influencers: bucketInfluencers,
  };
  if (scheduled.length > 0) doc.scheduled_events = scheduled.map((e) => e.description);
  out.buckets.push(doc);
  if (interim) target.pending.mayHoldInterim = true;
  if (!interim && bucketScore > 0) {
    kept.keep({
      id: resultId(doc),
      kind: 'bucket',
      timestamp: bucket,
      raw: rawMax,
      score: bucketScore,
      fields: bucketInfluencers.map((b) => [b.influencer_field_name, b.raw_anomaly_score]),
    });
  }
}
