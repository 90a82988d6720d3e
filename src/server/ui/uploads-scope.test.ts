/**
 * UI uploads and principals limited to job groups: such a principal lists, reads, previews and
 * posts only the uploads it made under its limit (routes.ts uploadVisibleTo); everyone else keeps
 * seeing every upload, as they see every job.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeyHeader, basic, secureHarness, testUsers, type SecureHarness } from '../security/test-kit/secure-harness.js';

const JSON9 = { 'content-type': 'application/json' };
const CSV = { 'content-type': 'text/csv' };
const U = '/_vigil/ui/uploads';

function csv(): string {
  const start = Date.UTC(2024, 0, 1);
  const lines = ['timestamp,value'];
  for (let i = 0; i < 120; i++) lines.push(`${new Date(start + i * 60_000).toISOString()},${i % 7}`);
  return lines.join('\n') + '\n';
}

let h: SecureHarness;
const uploadDir = mkdtempSync(join(tmpdir(), 'vigil-uploads-scope-'));
beforeAll(async () => {
  const users = await testUsers();
  // a second user limited to the same group: the same jobs, not the same uploads
  h = await secureHarness({ ops: { users: { ...users, webed2: users.webed } }, harness: { app: { uiUploadDir: uploadDir } as never } });
});
afterAll(async () => {
  await h?.close();
  rmSync(uploadDir, { recursive: true, force: true });
});

describe('UI uploads for principals limited to job groups', () => {
  it('lists, reads, previews and posts only their own uploads; unscoped principals see all', async () => {
    const upload = async (headers: Record<string, string>, name: string): Promise<string> => {
      const res = await h.app.inject({ method: 'POST', url: `${U}?file_name=${name}`, headers: { ...CSV, ...headers }, payload: csv() });
      expect(res.statusCode, res.body).toBe(200);
      return res.json().upload_id as string;
    };
    const ids = (headers: Record<string, string>) =>
      h.app.inject({ url: U, headers }).then((r) => {
        expect(r.statusCode, r.body).toBe(200);
        return (r.json().uploads as { upload_id: string }[]).map((u) => u.upload_id).sort();
      });

    const mine = await upload(basic('webed'), 'web.csv');
    const colleague = await upload(basic('webed2'), 'web2.csv');
    const others = await upload(basic('ed'), 'db.csv');
    const admins = await upload(basic('root'), 'all.csv');
    // a key of root's, limited to web: not root's unscoped uploads
    const key = (await h.app.inject({ method: 'POST', url: '/_security/api_key', headers: { ...JSON9, ...basic('root') }, payload: { name: 'web-only', role_descriptors: { r: { cluster: ['manage_ml'], metadata: { vigil_job_groups: ['web'] } } } } })).json();
    const keys = await upload(apiKeyHeader(key.encoded), 'key.csv');

    expect(await ids(basic('webed'))).toEqual([mine]);
    expect(await ids(basic('webed2'))).toEqual([colleague]);
    expect(await ids(apiKeyHeader(key.encoded))).toEqual([keys]);
    expect(await ids(basic('ed'))).toEqual([mine, colleague, others, admins, keys].sort());
    expect(await ids(basic('vi'))).toEqual([mine, colleague, others, admins, keys].sort());

    // one upload: another's answers as an unknown id
    const own = await h.app.inject({ url: `${U}/${mine}`, headers: basic('webed') });
    expect(own.statusCode).toBe(200);
    expect(own.json().uploaded_by).toEqual({ username: 'webed', job_groups: ['web'] });
    for (const id of [colleague, others, admins]) {
      const res = await h.app.inject({ url: `${U}/${id}`, headers: basic('webed') });
      expect(res.statusCode, id).toBe(404);
      expect(res.json().error.reason).toBe(`No upload with id [${id}]`);
    }
    expect((await h.app.inject({ url: `${U}/${admins}`, headers: apiKeyHeader(key.encoded) })).statusCode).toBe(404);
    expect((await h.app.inject({ url: `${U}/${mine}`, headers: basic('ed') })).statusCode).toBe(200);
    const preview = (id: string, user: string) => h.app.inject({ method: 'POST', url: `${U}/${id}/_preview`, headers: { ...JSON9, ...basic(user) }, payload: { function: 'count' } });
    expect((await preview(mine, 'webed')).statusCode).toBe(200);
    expect((await preview(others, 'webed')).statusCode).toBe(404);

    // posting into a web job: its own upload only
    const job = { analysis_config: { bucket_span: '10m', detectors: [{ function: 'count' }] }, data_description: { time_field: 'timestamp', time_format: 'epoch_ms' }, groups: ['web'] };
    expect((await h.app.inject({ method: 'PUT', url: '/_ml/anomaly_detectors/w-up', headers: { ...JSON9, ...basic('webed') }, payload: job })).statusCode).toBe(200);
    expect((await h.app.inject({ method: 'POST', url: '/_ml/anomaly_detectors/w-up/_open', headers: basic('webed') })).statusCode).toBe(200);
    const post = (id: string) => h.app.inject({ method: 'POST', url: `${U}/${id}/_post/w-up`, headers: basic('webed') });
    expect((await post(others)).statusCode).toBe(404);
    const posted = await post(mine);
    expect(posted.statusCode, posted.body).toBe(200);
    expect(posted.json().data_counts).toMatchObject({ processed_record_count: 120 });
    await h.app.inject({ method: 'DELETE', url: '/_ml/anomaly_detectors/w-up?force=true', headers: basic('root') });
  });

  it('an upload stored without an owner (before owners were recorded) is not shown to them', async () => {
    const res = await h.app.inject({ method: 'POST', url: `${U}?file_name=old.csv`, headers: { ...CSV, ...basic('webed') }, payload: csv() });
    const id = res.json().upload_id as string;
    const dir = uploadDir;
    const meta = JSON.parse(readFileSync(join(dir, `${id}.json`), 'utf8')) as Record<string, unknown>;
    delete meta.uploaded_by;
    writeFileSync(join(dir, `legacy-000001.json`), JSON.stringify({ ...meta, upload_id: 'legacy-000001' }));
    copyFileSync(join(dir, `${id}.data`), join(dir, 'legacy-000001.data'));
    const list = (user: string) => h.app.inject({ url: U, headers: basic(user) }).then((r) => (r.json().uploads as { upload_id: string }[]).map((u) => u.upload_id));
    expect(await list('webed')).not.toContain('legacy-000001');
    expect((await h.app.inject({ url: `${U}/legacy-000001`, headers: basic('webed') })).statusCode).toBe(404);
    expect(await list('ed')).toContain('legacy-000001');
  });
});
