import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { harness, JSON9, NDJSON9, type Harness } from './test-kit/harness.js';

const T0 = Date.UTC(2024, 0, 1) / 1000;
const JOB = {
  description: 'requests',
  groups: ['web'],
  analysis_config: { bucket_span: '5m', detectors: [{ function: 'count' }] },
  data_description: { time_field: 'time' },
};
const ndjson = (from: number, n: number, step = 60): string => Array.from({ length: n }, (_, i) => JSON.stringify({ time: T0 + (from + i) * step, v: i })).join('\n') + '\n';

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => h.close());

async function put(id: string, body: unknown = JOB): Promise<{ statusCode: number; json: () => any }> {
  return h.app.inject({ method: 'PUT', url: `/_ml/anomaly_detectors/${id}`, headers: JSON9, payload: JSON.stringify(body) });
}

describe('server basics', () => {
  it('GET / answers an Elastic-like info body with x-elastic-product', async () => {
    const r = await h.app.inject({ method: 'GET', url: '/' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['x-elastic-product']).toBe('Elasticsearch');
    expect(r.json()).toMatchObject({ tagline: 'You Know, for Search', version: { build_flavor: 'default' } });
    const health = await h.app.inject({ method: 'GET', url: '/_vigil/health' });
    expect(health.json()).toMatchObject({ status: 'green', store: 'memory', open_jobs: 0 });
  });

  it('unknown paths and wrong methods get Elastic answers', async () => {
    const r = await h.app.inject({ method: 'GET', url: '/_nothing' });
    expect(r.statusCode).toBe(400);
    expect(r.json()).toEqual({ error: 'no handler found for uri [/_nothing] and method [GET]', status: 400 });
    const m = await h.app.inject({ method: 'GET', url: '/_ml/anomaly_detectors/x/_open' });
    expect(m.statusCode).toBe(405);
    expect(m.json().error).toContain('allowed: [POST]');
  });

  it('?pretty indents the response', async () => {
    const r = await h.app.inject({ method: 'GET', url: '/_ml/info?pretty' });
    expect(r.body).toContain('\n  "defaults"');
  });
});

describe('job life cycle over HTTP (fake engine)', () => {
  it('create → get → open → data → flush → results → stats → close → delete', async () => {
    const created = await put('web-1');
    expect(created.statusCode).toBe(200);
    expect(created.json()).toMatchObject({ job_id: 'web-1', job_type: 'anomaly_detector', groups: ['web'], analysis_config: { bucket_span: '5m' }, results_index_name: 'shared' });

    const got = await h.app.inject({ method: 'GET', url: '/_ml/anomaly_detectors/web-1' });
    expect(got.json().count).toBe(1);

    // the client's openJob: an empty-bodied POST with the vnd content type
    const opened = await h.app.inject({ method: 'POST', url: '/_ml/anomaly_detectors/web-1/_open', headers: JSON9 });
    expect(opened.statusCode).toBe(200);
    expect(opened.json()).toEqual({ opened: true, node: h.service.node.id });

    const data = await h.app.inject({ method: 'POST', url: '/_ml/anomaly_detectors/web-1/_data', headers: NDJSON9, payload: ndjson(0, 30) });
    expect(data.statusCode).toBe(200);
    expect(data.json()).toMatchObject({ job_id: 'web-1', processed_record_count: 30, input_record_count: 30, bucket_count: 5, earliest_record_timestamp: T0 * 1000 });
    expect(data.json().input_bytes).toBe(Buffer.byteLength(ndjson(0, 30)));

    // JSON array bodies are accepted too
    const arr = await h.app.inject({ method: 'POST', url: '/_ml/anomaly_detectors/web-1/_data', headers: { 'content-type': 'application/json' }, payload: JSON.stringify([{ time: T0 + 1800 }, { time: T0 + 1860 }]) });
    expect(arr.json().processed_record_count).toBe(32);

    const flushed = await h.app.inject({ method: 'POST', url: '/_ml/anomaly_detectors/web-1/_flush', headers: JSON9, payload: JSON.stringify({ calc_interim: true }) });
    expect(flushed.json()).toMatchObject({ flushed: true });

    const buckets = await h.app.inject({ method: 'POST', url: '/_ml/anomaly_detectors/web-1/results/buckets', headers: JSON9, payload: JSON.stringify({ page: { from: 1, size: 2 } }) });
    expect(buckets.statusCode).toBe(200);
    expect(buckets.json().count).toBe(7);
    expect(buckets.json().buckets.map((b: any) => b.timestamp)).toEqual([(T0 + 300) * 1000, (T0 + 600) * 1000]);
    const noInterim = await h.app.inject({ method: 'GET', url: '/_ml/anomaly_detectors/web-1/results/buckets?exclude_interim=true&anomaly_score=5' });
    expect(noInterim.json().count).toBe(6);
    const expanded = await h.app.inject({ method: 'GET', url: '/_ml/anomaly_detectors/web-1/results/buckets?expand=true&size=1' });
    expect(expanded.json().buckets[0].records).toHaveLength(1);
    const one = await h.app.inject({ method: 'GET', url: `/_ml/anomaly_detectors/web-1/results/buckets/${(T0 + 300) * 1000}` });
    expect(one.json().count).toBe(1);

    const records = await h.app.inject({ method: 'GET', url: '/_ml/anomaly_detectors/web-1/results/records?size=3' });
    expect(records.json().count).toBe(6);
    expect(records.json().records).toHaveLength(3);

    const stats = await h.app.inject({ method: 'GET', url: '/_ml/anomaly_detectors/web-1/_stats' });
    const s = stats.json().jobs[0];
    expect(s).toMatchObject({ job_id: 'web-1', state: 'opened', data_counts: { processed_record_count: 32 }, model_size_stats: { model_bytes: 100 }, node: { id: h.service.node.id } });
    expect(s.open_time).toMatch(/^\d+s$/);

    const refused = await h.app.inject({ method: 'DELETE', url: '/_ml/anomaly_detectors/web-1' });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error).toMatchObject({ type: 'status_exception', reason: 'Cannot delete job [web-1] because the job is opened' });

    const closed = await h.app.inject({ method: 'POST', url: '/_ml/anomaly_detectors/web-1/_close', headers: JSON9 });
    expect(closed.json()).toEqual({ closed: true });
    const after = await h.app.inject({ method: 'GET', url: '/_ml/anomaly_detectors/web-1/_stats' });
    expect(after.json().jobs[0]).toMatchObject({ state: 'closed', data_counts: { processed_record_count: 32 } });
    expect(after.json().jobs[0].node).toBeUndefined();

    const gone = await h.app.inject({ method: 'DELETE', url: '/_ml/anomaly_detectors/web-1' });
    expect(gone.json()).toEqual({ acknowledged: true });
    expect((await h.app.inject({ method: 'GET', url: '/_ml/anomaly_detectors/web-1' })).statusCode).toBe(404);
  });

  it('ids, comma lists, wildcards, groups and _all', async () => {
    for (const id of ['a-1', 'a-2', 'b-1']) expect((await put(id, { ...JOB, groups: id.startsWith('a') ? ['alpha'] : [] })).statusCode).toBe(200);
    const ids = async (expr: string): Promise<string[]> => (await h.app.inject({ method: 'GET', url: `/_ml/anomaly_detectors/${expr}` })).json().jobs.map((j: any) => j.job_id);
    expect(await ids('a-*')).toEqual(['a-1', 'a-2']);
    expect(await ids('alpha')).toEqual(['a-1', 'a-2']);
    expect(await ids('b-1,a-2')).toEqual(['a-2', 'b-1']);
    expect(await ids('_all')).toEqual(['a-1', 'a-2', 'b-1']);
    expect(await ids('z*')).toEqual([]);
    const strict = await h.app.inject({ method: 'GET', url: '/_ml/anomaly_detectors/z*?allow_no_match=false' });
    expect(strict.statusCode).toBe(404);
    const missing = await h.app.inject({ method: 'GET', url: '/_ml/anomaly_detectors/a-1,nope' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.reason).toBe("No known job with id 'nope'");
    // open and close by group / _all
    await h.app.inject({ method: 'POST', url: '/_ml/anomaly_detectors/a-1/_open' });
    await h.app.inject({ method: 'POST', url: '/_ml/anomaly_detectors/a-2/_open' });
    expect(h.service.isOpen('a-2')).toBe(true);
    expect((await h.app.inject({ method: 'POST', url: '/_ml/anomaly_detectors/_all/_close' })).json()).toEqual({ closed: true });
    expect(h.service.isOpen('a-1') || h.service.isOpen('a-2')).toBe(false);
    // force delete of an open job
    await h.app.inject({ method: 'POST', url: '/_ml/anomaly_detectors/b-1/_open' });
    expect((await h.app.inject({ method: 'DELETE', url: '/_ml/anomaly_detectors/b-1?force=true' })).statusCode).toBe(200);
    expect(h.service.isOpen('b-1')).toBe(false);
  });

  it('update changes description and groups', async () => {
    await put('u1');
    const r = await h.app.inject({ method: 'POST', url: '/_ml/anomaly_detectors/u1/_update', headers: JSON9, payload: JSON.stringify({ description: 'new', groups: ['g2'] }) });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ description: 'new', groups: ['g2'] });
    const bad = await h.app.inject({ method: 'POST', url: '/_ml/anomaly_detectors/u1/_update', headers: JSON9, payload: JSON.stringify({ analysis_config: {} }) });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.reason).toContain('unknown field [analysis_config]');
  });

  it('overall buckets over a group', async () => {
    for (const id of ['o1', 'o2']) {
      await put(id, { ...JOB, groups: ['og'] });
      await h.app.inject({ method: 'POST', url: `/_ml/anomaly_detectors/${id}/_open` });
    }
    await h.app.inject({ method: 'POST', url: '/_ml/anomaly_detectors/o1/_data', headers: NDJSON9, payload: ndjson(0, 20) });
    await h.app.inject({ method: 'POST', url: '/_ml/anomaly_detectors/o2/_data', headers: NDJSON9, payload: ndjson(0, 20, 30) });
    const r = await h.app.inject({ method: 'POST', url: '/_ml/anomaly_detectors/og/results/overall_buckets', headers: JSON9, payload: JSON.stringify({ top_n: 2 }) });
    expect(r.statusCode).toBe(200);
    const first = r.json().overall_buckets[0];
    expect(first).toMatchObject({ timestamp: T0 * 1000, bucket_span: 300, result_type: 'overall_bucket', is_interim: false });
    expect(first.jobs).toEqual([
      { job_id: 'o1', max_anomaly_score: 5 },
      { job_id: 'o2', max_anomaly_score: 10 },
    ]);
    expect(first.overall_score).toBe(7.5);
    const wide = await h.app.inject({ method: 'GET', url: '/_ml/anomaly_detectors/o*/results/overall_buckets?bucket_span=1h&overall_score=20' });
    expect(wide.json().overall_buckets).toHaveLength(0);
    const narrow = await h.app.inject({ method: 'GET', url: '/_ml/anomaly_detectors/og/results/overall_buckets?bucket_span=1m' });
    expect(narrow.statusCode).toBe(400);
    expect(narrow.json().error.reason).toBe('Param [bucket_span] must be greater or equal to the max bucket_span [5m]');
  });
});

describe('bad input', () => {
  it('existing id, missing job, bad id', async () => {
    await put('dup');
    const again = await put('dup');
    expect(again.statusCode).toBe(400);
    expect(again.json().error).toMatchObject({ type: 'resource_already_exists_exception', reason: "The job cannot be created with the Id 'dup'. The Id is already used." });
    const missing = await h.app.inject({ method: 'GET', url: '/_ml/anomaly_detectors/nope/_stats' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({
      error: { root_cause: [{ type: 'resource_not_found_exception', reason: "No known job with id 'nope'" }], type: 'resource_not_found_exception', reason: "No known job with id 'nope'" },
      status: 404,
    });
    const bad = await put('..%2Fetc');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.reason).toContain("Invalid job_id; '../etc'");
    const upper = await put('Bad');
    expect(upper.statusCode).toBe(400);
  });

  it('unknown body fields, unknown parameters, wrong types, malformed JSON', async () => {
    await put('j');
    const unknownField = await h.app.inject({ method: 'POST', url: '/_ml/anomaly_detectors/j/results/buckets', headers: JSON9, payload: JSON.stringify({ bogus: 1 }) });
    expect(unknownField.statusCode).toBe(400);
    expect(unknownField.json().error).toMatchObject({ type: 'x_content_parse_exception', reason: '[get_buckets] unknown field [bogus]' });
    const nested = await h.app.inject({ method: 'POST', url: '/_ml/anomaly_detectors/j/results/records', headers: JSON9, payload: JSON.stringify({ page: { from: 0, bogus: 1 } }) });
    expect(nested.json().error.reason).toBe('[get_records] unknown field [page.bogus]');
    const param = await h.app.inject({ method: 'GET', url: '/_ml/anomaly_detectors/j/results/records?bogus=1' });
    expect(param.statusCode).toBe(400);
    expect(param.json().error).toMatchObject({ type: 'illegal_argument_exception', reason: 'request [/_ml/anomaly_detectors/j/results/records] contains unrecognized parameter: [bogus]' });
    const type = await h.app.inject({ method: 'GET', url: '/_ml/anomaly_detectors/j/results/records?size=abc' });
    expect(type.statusCode).toBe(400);
    expect(type.json().error.reason).toContain('[size]');
    const bodyType = await h.app.inject({ method: 'POST', url: '/_ml/anomaly_detectors/j/results/buckets', headers: JSON9, payload: JSON.stringify({ page: { size: 'many' } }) });
    expect(bodyType.json().error).toMatchObject({ type: 'x_content_parse_exception', reason: '[get_buckets] failed to parse field [page.size]' });
    const window = await h.app.inject({ method: 'GET', url: '/_ml/anomaly_detectors/j/results/records?from=9999&size=2' });
    expect(window.json().error.reason).toBe('The sum of parameters [from] and [size] cannot be higher than 10000.');
    const sort = await h.app.inject({ method: 'GET', url: '/_ml/anomaly_detectors/j/results/records?sort=nope' });
    expect(sort.statusCode).toBe(400);
    const date = await h.app.inject({ method: 'GET', url: '/_ml/anomaly_detectors/j/results/buckets?start=yesterday-ish' });
    expect(date.json().error.reason).toBe('Query param [start] with value [yesterday-ish] cannot be parsed as a date or converted to a number (epoch).');
    const malformed = await h.app.inject({ method: 'PUT', url: '/_ml/anomaly_detectors/k', headers: JSON9, payload: '{"analysis_config": ' });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error.type).toBe('x_content_parse_exception');
    expect(malformed.json().error.caused_by.type).toBe('json_parse_exception');
    const engineRule = await put('k2', { analysis_config: { bucket_span: '5m', detectors: [{ function: 'mean' }] }, data_description: {} });
    expect(engineRule.statusCode).toBe(400);
    expect(engineRule.json().error.reason).toContain('Unless a count or temporal function is used one of field_name, by_field_name or over_field_name must be set');
  });

  it('data: closed job, malformed lines named by line, non-objects, nothing accepted from a bad request', async () => {
    await put('d');
    const closed = await h.app.inject({ method: 'POST', url: '/_ml/anomaly_detectors/d/_data', headers: NDJSON9, payload: ndjson(0, 2) });
    expect(closed.statusCode).toBe(409);
    expect(closed.json().error).toMatchObject({ type: 'status_exception', reason: 'Cannot perform requested action because job [d] is not open' });
    const missing = await h.app.inject({ method: 'POST', url: '/_ml/anomaly_detectors/nope/_data', headers: NDJSON9, payload: ndjson(0, 2) });
    expect(missing.statusCode).toBe(404);
    await h.app.inject({ method: 'POST', url: '/_ml/anomaly_detectors/d/_open' });
    const bad = await h.app.inject({ method: 'POST', url: '/_ml/anomaly_detectors/d/_data', headers: NDJSON9, payload: `{"time": ${T0}}\n{"time": ${T0 + 1}}\n{"time": oops}\n` });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.type).toBe('parse_exception');
    expect(bad.json().error.reason).toMatch(/line 3/);
    const scalar = await h.app.inject({ method: 'POST', url: '/_ml/anomaly_detectors/d/_data', headers: NDJSON9, payload: `{"time": ${T0}}\n42\n` });
    expect(scalar.json().error.reason).toMatch(/line 2 is not a JSON object/);
    const empty = await h.app.inject({ method: 'POST', url: '/_ml/anomaly_detectors/d/_data', headers: NDJSON9, payload: '' });
    expect(empty.statusCode).toBe(400);
    // pretty-printed and whitespace-separated documents are fine
    const pretty = await h.app.inject({ method: 'POST', url: '/_ml/anomaly_detectors/d/_data', headers: NDJSON9, payload: `{\n "time": ${T0}\n}\n{"time": ${T0 + 1}} {"time": ${T0 + 2}}` });
    expect(pretty.json().processed_record_count).toBe(3);
  });

  it('a body over the limit is refused and the server keeps serving', async () => {
    const small = await harness({ app: { maxBodyBytes: 1000 } });
    try {
      const r = await small.app.inject({ method: 'POST', url: '/_ml/anomaly_detectors/x/_data', headers: NDJSON9, payload: 'x'.repeat(5000) });
      expect(r.statusCode).toBe(413);
      expect(r.json().error.type).toBe('content_too_long_exception');
      expect((await small.app.inject({ method: 'GET', url: '/' })).statusCode).toBe(200);
    } finally {
      await small.close();
    }
  });

  it('concurrent posts to one job are serialised: every batch counted once, none interleaved', async () => {
    await put('c');
    await h.app.inject({ method: 'POST', url: '/_ml/anomaly_detectors/c/_open' });
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, k) => h.app.inject({ method: 'POST', url: '/_ml/anomaly_detectors/c/_data', headers: NDJSON9, payload: ndjson(k * 10, 10) })),
    );
    const counts = replies.map((r) => r.json().processed_record_count as number).sort((a, b) => a - b);
    expect(counts).toEqual(Array.from({ length: 20 }, (_, k) => (k + 1) * 10));
  });
});

describe('filter_path', () => {
  it('keeps the paths asked for, through arrays, with wildcards and exclusions', async () => {
    await put('f1');
    await put('f2', { ...JOB, groups: [] });
    const r = await h.app.inject({ method: 'GET', url: '/_ml/anomaly_detectors?filter_path=count,jobs.job_id,jobs.analysis_config.b*' });
    expect(r.json()).toEqual({ count: 2, jobs: [{ job_id: 'f1', analysis_config: { bucket_span: '5m' } }, { job_id: 'f2', analysis_config: { bucket_span: '5m' } }] });
    const deep = await h.app.inject({ method: 'GET', url: '/_ml/anomaly_detectors/f1?filter_path=**.detector_index' });
    expect(deep.json()).toEqual({ jobs: [{ analysis_config: { detectors: [{ detector_index: 0 }] } }] });
    const minus = await h.app.inject({ method: 'GET', url: '/_ml/anomaly_detectors/f1?filter_path=-jobs.analysis_config,-jobs.data_description' });
    expect(minus.json().jobs[0].analysis_config).toBeUndefined();
    expect(minus.json().jobs[0].job_id).toBe('f1');
  });
});
