/**
 * QA (auto as the jobs' default series model): invariants a job with `auto` keeps.
 *   - records that arrive late but within `latency` give the same final results as in-order data;
 *   - a one-sided function (high_mean) never hears the shape member, so an auto job's results are
 *     the point model's, record for record;
 *   - a job state saved in the middle and restored continues exactly as the job that never stopped.
 */
import { describe, expect, it } from 'vitest';
import { Random } from '../../core/random.js';
import { AnomalyJob } from './anomaly-job.js';
import { validateJobConfig } from './config.js';
import type { RecordDoc } from './index.js';

const M5 = 300_000;
const T0 = Date.UTC(2024, 0, 1);
const N = 4000;

/** Two partitions with a spike every 4 h; from bucket 3000 partition a spikes every hour (a change of rhythm). */
function data(): { ts: number; p: string; v: number }[] {
  const out: { ts: number; p: string; v: number }[] = [];
  for (let i = 0; i < N; i++) {
    for (const [k, p] of ['a', 'b'].entries()) {
      const rng = new Random(i * 7 + k);
      out.push({ ts: T0 + i * M5 + 1000 + k, p, v: 20 + rng.normal() + ((i < 3000 || p !== 'a' ? i % 48 === 0 : i % 12 === 0) ? 15 : 0) });
    }
  }
  return out;
}

function job(fn: string, model?: string): AnomalyJob {
  return new AnomalyJob(
    validateJobConfig(`qa-${fn}-${model ?? 'none'}`, {
      analysis_config: { bucket_span: '5m', latency: '20m', detectors: [{ function: fn, field_name: 'v', partition_field_name: 'p' }] },
      data_description: { time_field: 'ts', time_format: 'epoch_ms' },
      ...(model ? { custom_settings: { vigil_model: model } } : {}),
    }),
    { now: () => 0, wallClock: () => 0 },
  );
}

const key = (records: RecordDoc[]) => records.filter((r) => !r.is_interim).map((r) => [r.timestamp, r.partition_field_value, r.initial_record_score, r.probability, r.actual, r.typical]);

describe('auto jobs (QA)', () => {
  it('late records within latency end with the same results as in-order ones (interim flushes on the way)', () => {
    const run = (docs: { ts: number }[]) => {
      const j = job('mean');
      for (let i = 0; i < docs.length; i += 37) {
        j.postData(docs.slice(i, i + 37));
        if (i % 3700 === 0) j.flush({ calcInterim: true });
      }
      j.flush({ advanceTime: T0 + (N + 100) * M5 });
      return key(j.drainResults().records);
    };
    const sorted = data();
    const rng = new Random(9);
    // up to 15 minutes late (latency 20m); each entity's first buckets in order
    const late = sorted
      .map((d) => ({ d, k: d.ts + (d.ts < T0 + 20 * M5 ? 0 : rng.int(0, 3 * M5)) }))
      .sort((a, b) => a.k - b.k)
      .map((x) => x.d);
    const a = run(sorted);
    expect(a.length).toBeGreaterThan(5);
    // the change of rhythm is caught (the shape member's weight-0.4 score)
    expect(a.some((r) => r[1] === 'a' && (r[0] as number) >= T0 + 3000 * M5 && (r[0] as number) < T0 + 3300 * M5 && (r[2] as number) >= 25)).toBe(true);
    expect(run(late)).toEqual(a);
  });

  it('high_mean: the shape member is never heard, so auto gives the point model’s records', () => {
    const run = (model: string) => {
      const j = job('high_mean', model);
      j.postData(data());
      j.flush({ advanceTime: T0 + (N + 100) * M5 });
      return key(j.drainResults().records);
    };
    const point = run('point');
    expect(point.length).toBeGreaterThan(0);
    expect(run('auto')).toEqual(point);
  });

  it('a state saved mid-way and restored continues exactly like the job that never stopped', () => {
    const docs = data();
    const whole = job('mean', 'auto');
    whole.postData(docs);
    whole.flush({ advanceTime: T0 + (N + 100) * M5 });
    const ref = key(whole.drainResults().records);

    const first = job('mean', 'auto');
    const cut = docs.findIndex((d) => d.ts >= T0 + 2345 * M5);
    first.postData(docs.slice(0, cut));
    const before = key(first.drainResults().records);
    const saved = JSON.parse(JSON.stringify(first.toState()));
    expect(JSON.stringify(saved)).toContain('"type":"matrix-profile"');
    const again = AnomalyJob.fromState(first.config, saved, { now: () => 0, wallClock: () => 0 });
    again.postData(docs.slice(cut));
    again.flush({ advanceTime: T0 + (N + 100) * M5 });
    expect([...before, ...key(again.drainResults().records)]).toEqual(ref);
  });
});
