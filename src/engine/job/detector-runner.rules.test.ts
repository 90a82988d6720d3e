/**
 * skip_model_update custom rules in population rare and freq_rare (over_field_name): a (member,
 * value) pair in the rule's scope is not learned, so a watched value stays rare; without the rule
 * the same data teaches the model that it is common. Scopes on the by field (the value) and on the
 * over field (the member) both count, as Elastic applies them.
 */
import { describe, expect, it } from 'vitest';
import { Random } from '../../core/random.js';
import { AnomalyJob, validateJobConfig, type RecordDoc } from './index.js';

const H = 3_600_000;
const DAY = 24 * H;
const T0 = Date.UTC(2024, 0, 1); // Monday

/** Ten hosts run five processes most hours; from day 3 on, hosts h0–h5 run 'scanner' every hour. */
function hostProcesses(): Record<string, unknown>[] {
  const rnd = new Random(7);
  const procs = ['sshd', 'nginx', 'cron', 'postgres', 'node'];
  const docs: Record<string, unknown>[] = [];
  for (let h = 0; h < 24 * 8; h++) {
    for (let host = 0; host < 10; host++) {
      for (const p of procs) if (rnd.next() < 0.8) docs.push({ ts: T0 + h * H + rnd.int(0, H - 1), host: `h${host}`, process: p });
      if (h >= 24 * 3 && host < 6) docs.push({ ts: T0 + h * H + rnd.int(0, H - 1), host: `h${host}`, process: 'scanner' });
    }
  }
  return docs.sort((a, b) => (a.ts as number) - (b.ts as number));
}

function run(fn: string, rules: unknown[] | undefined, filters: Record<string, string[]> = {}): RecordDoc[] {
  const config = validateJobConfig(`${fn}-over-rule`, {
    analysis_config: {
      bucket_span: '1h',
      detectors: [{ function: fn, by_field_name: 'process', over_field_name: 'host', ...(rules ? { custom_rules: rules } : {}) }],
    },
    data_description: { time_field: 'ts', time_format: 'epoch_ms' },
  });
  const job = new AnomalyJob(config, { now: () => 0, wallClock: () => 0, filters });
  const docs = hostProcesses();
  job.postData(docs);
  job.flush({ advanceTime: (docs[docs.length - 1].ts as number) + DAY });
  return job.drainResults().records;
}

/** Records from day 6 on with 'scanner' among their causes. */
function lateScanner(records: RecordDoc[]): RecordDoc[] {
  return records.filter((r) => r.timestamp >= T0 + 6 * DAY && r.record_score > 0 && (r.causes ?? []).some((c) => c.by_field_value === 'scanner'));
}

describe.each(['rare', 'freq_rare'])('%s over a population with a skip_model_update rule', (fn) => {
  it('a value in the rule’s filter is never learned, so it stays rare; without the rule it becomes common', () => {
    expect(lateScanner(run(fn, undefined))).toEqual([]); // learned: three days in, six hosts an hour is common
    const rule = [{ actions: ['skip_model_update'], scope: { process: { filter_id: 'watch' } } }];
    const kept = lateScanner(run(fn, rule, { watch: ['scanner'] }));
    expect(kept.length).toBeGreaterThan(0); // never learned: still rare
    expect(kept[0].over_field_name).toBe('host');
  });

  it('a member in the rule’s filter teaches the model nothing', () => {
    // h0–h5 (every host that runs the scanner) are watched: none of their values is learned
    const rule = [{ actions: ['skip_model_update'], scope: { host: { filter_id: 'scanners' } } }];
    expect(lateScanner(run(fn, rule, { scanners: ['h0', 'h1', 'h2', 'h3', 'h4', 'h5'] })).length).toBeGreaterThan(0);
    // the rule's exclude form leaves them learning: the scanner becomes common again
    const exclude = [{ actions: ['skip_model_update'], scope: { host: { filter_id: 'scanners', filter_type: 'exclude' } } }];
    expect(lateScanner(run(fn, exclude, { scanners: ['h0', 'h1', 'h2', 'h3', 'h4', 'h5'] }))).toEqual([]);
  });
});
