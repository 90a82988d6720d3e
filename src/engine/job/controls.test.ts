import { describe, expect, it } from 'vitest';
import { dstShiftEvents } from '../../core/calendar/index.js';
import { AnomalyJob } from './anomaly-job.js';
import { validateJobConfig } from './config.js';
import { estimateModelMemory, withSensitivity, type JobEvent } from './index.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2025, 2, 2); // Sunday 2 March 2025
const T1 = Date.UTC(2025, 3, 20);

/** Hourly values with a business-hours plateau in Paris local time (DST-aware). */
function parisSeries(): { t: number; v: number }[] {
  const fmt = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Paris', hour: 'numeric', hourCycle: 'h23' });
  const out: { t: number; v: number }[] = [];
  let seed = 7;
  const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  for (let t = T0; t < T1; t += HOUR) {
    const h = Number(fmt.format(new Date(t)));
    out.push({ t, v: (h >= 9 && h < 18 ? 100 : 10) + (rnd() - 0.5) * 4 });
  }
  return out;
}

function run(events: JobEvent[]): number[] {
  const config = validateJobConfig('dst', {
    analysis_config: { bucket_span: '1h', detectors: [{ function: 'mean', field_name: 'v' }] },
    data_description: { time_field: 't', time_format: 'epoch_ms' },
  });
  const job = new AnomalyJob(config, { events });
  const scores: number[] = [];
  for (const d of parisSeries()) job.postData([d]);
  job.flush({ advanceTime: T1 });
  for (const r of job.drainResults().records) if (r.timestamp >= Date.UTC(2025, 2, 30) && r.timestamp < Date.UTC(2025, 3, 6)) scores.push(r.record_score);
  return scores;
}

describe('scheduled events in the engine', () => {
  it('force_time_shift keeps a local-time daily pattern in step across a DST change', () => {
    const events = dstShiftEvents({ timeZone: 'Europe/Paris', from: T0, to: T1 });
    const without = run([]);
    const withShift = run(events);
    expect(Math.max(0, ...without)).toBeGreaterThan(40);
    expect(Math.max(0, ...withShift)).toBeLessThan(25);
  });
});

describe('sensitivity and memory estimates', () => {
  it('moves scores without touching models', () => {
    expect(withSensitivity(25, 1)).toBe(25);
    expect(withSensitivity(25, 1.4)).toBeGreaterThan(45);
    expect(withSensitivity(25, 0.7)).toBeLessThan(10);
  });
  it('estimates grow with the entity count', () => {
    const ac = { bucket_span: '5m', detectors: [{ function: 'mean', field_name: 'b', partition_field_name: 'host' }] };
    const small = Number.parseInt(estimateModelMemory({ analysis_config: ac, overall_cardinality: { host: 10 } }).model_memory_estimate, 10);
    const big = Number.parseInt(estimateModelMemory({ analysis_config: ac, overall_cardinality: { host: 10000 } }).model_memory_estimate, 10);
    expect(big).toBeGreaterThan(20 * small);
    expect(() => estimateModelMemory({ analysis_config: ac })).toThrow('[overall] cardinality estimate required for [partition_field_name] [host] but not supplied');
  });
});

describe('model-change annotations: change of trend', () => {
  it('a series that starts rising and then levels off gets two trend annotations', () => {
    const config = validateJobConfig('trend', {
      analysis_config: { bucket_span: '1h', detectors: [{ function: 'mean', field_name: 'v' }] },
      data_description: { time_field: 'ts', time_format: 'epoch_ms' },
    });
    const job = new AnomalyJob(config, {});
    const T0 = Date.UTC(2024, 0, 1);
    const docs: Record<string, unknown>[] = [];
    for (let i = 0; i < 24 * 45; i++) {
      const ramp = 0.05 * Math.min(Math.max(i - 24 * 14, 0), 24 * 14);
      docs.push({ ts: T0 + i * 3_600_000 + 60_000, v: 100 + ramp + Math.sin(i * 12.9898) * 0.8 });
    }
    job.postData(docs);
    job.flush({});
    const notes = (job.drainResults().annotations ?? []).map((a) => a.annotation).filter((t) => /change of trend/.test(t));
    expect(notes).toEqual(['Detected a change of trend: the series is now rising', 'Detected a change of trend: the series has stopped rising or falling']);
  });
});
