/**
 * TLS with certificates generated here by openssl: the server over https, its certificate reloaded
 * when the files change; tlsOptions() for outgoing connections (CA, client certificate, the three
 * verification modes).
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type RequestOptions } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../server.js';
import { fakeEngine } from '../test-kit/fake-engine.js';
import { hasOpenssl, makeCa, makeLeaf } from './test-kit/certs.js';
import { certificateValidityProblem, tlsOptions, watchServerTls } from './tls.js';
import { testServerConfig } from '../test-kit/server-config.js';

const skip = !hasOpenssl();
let dir: string;
let ca: { cert: string; key: string };
let leafA: { cert: string; key: string };
let leafB: { cert: string; key: string };
let client: { cert: string; key: string };
let expired: { cert: string; key: string };
let notYet: { cert: string; key: string };

beforeAll(() => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'vigil-tls-'));
  ca = makeCa(dir);
  leafA = makeLeaf(dir, ca, 'server-a');
  leafB = makeLeaf(dir, ca, 'server-b');
  client = makeLeaf(dir, ca, 'client', ['vigil-client']);
  expired = makeLeaf(dir, ca, 'server-expired', undefined, { start: '20200101000000Z', end: '20200102000000Z' });
  notYet = makeLeaf(dir, ca, 'server-not-yet', undefined, { start: '20990101000000Z', end: '20990102000000Z' });
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function get(url: string, o: RequestOptions): Promise<{ status: number; body: string; fingerprint: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ...o, agent: false }, (res) => {
      const fp = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, fingerprint: fp }));
    });
    req.on('error', reject);
    req.end();
  });
}

const fingerprintOf = (pem: string): string => new X509Certificate(readFileSync(pem)).fingerprint256;

describe.skipIf(skip)('server TLS', () => {
  let server: RunningServer;
  let certPath: string;
  let keyPath: string;
  beforeAll(async () => {
    certPath = join(dir, 'live.pem');
    keyPath = join(dir, 'live.key');
    copyFileSync(leafA.cert, certPath);
    copyFileSync(leafA.key, keyPath);
    const cfg = testServerConfig(dir);
    cfg.tls = { cert: certPath, key: keyPath, reload_interval_ms: 100 };
    server = await startServer(cfg, { engine: fakeEngine, version: 'test' });
  });
  afterAll(async () => server?.close());

  it('serves https with the configured certificate, verified against the CA', async () => {
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const r = await get(`${server.url}/_vigil/live`, { ca: readFileSync(ca.cert) });
    expect(r.status).toBe(200);
    expect(r.fingerprint).toBe(fingerprintOf(leafA.cert));
    await expect(get(`${server.url}/_vigil/live`, {})).rejects.toThrow(/self[- ]signed|unable to verify|certificate/i);
  });

  it('reloads the certificate when the files change (new connections get the new one)', async () => {
    copyFileSync(leafB.key, keyPath);
    copyFileSync(leafB.cert, certPath);
    const want = fingerprintOf(leafB.cert);
    let fp = '';
    for (let i = 0; i < 50 && fp !== want; i++) {
      await new Promise((r) => setTimeout(r, 100));
      fp = (await get(`${server.url}/_vigil/live`, { ca: readFileSync(ca.cert) })).fingerprint;
    }
    expect(fp).toBe(want);
  });

  it('keeps the old certificate when the new files are broken', async () => {
    const before = (await get(`${server.url}/_vigil/live`, { ca: readFileSync(ca.cert) })).fingerprint;
    copyFileSync(leafA.key, keyPath); // key of A with the certificate of B: not a pair
    await new Promise((r) => setTimeout(r, 400));
    const r = await get(`${server.url}/_vigil/live`, { ca: readFileSync(ca.cert) });
    expect(r.status).toBe(200);
    expect(r.fingerprint).toBe(before);
  });
});

describe.skipIf(skip)('TLS reload refuses a certificate outside its validity period', () => {
  it('a running server keeps its certificate when an expired (matching) pair replaces it', async () => {
    const certPath = join(dir, 'live-validity.pem');
    const keyPath = join(dir, 'live-validity.key');
    copyFileSync(leafA.cert, certPath);
    copyFileSync(leafA.key, keyPath);
    const cfg = testServerConfig(dir, 'data-validity');
    cfg.tls = { cert: certPath, key: keyPath, reload_interval_ms: 100 };
    const server = await startServer(cfg, { engine: fakeEngine, version: 'test' });
    try {
      copyFileSync(expired.key, keyPath);
      copyFileSync(expired.cert, certPath);
      await new Promise((r) => setTimeout(r, 400));
      const r = await get(`${server.url}/_vigil/live`, { ca: readFileSync(ca.cert) });
      expect(r.status).toBe(200);
      expect(r.fingerprint).toBe(fingerprintOf(leafA.cert));
    } finally {
      await server.close();
    }
  });

  it('logs why: expired, or not valid yet; a valid pair is then taken', async () => {
    const certPath = join(dir, 'watch.pem');
    const keyPath = join(dir, 'watch.key');
    copyFileSync(leafA.cert, certPath);
    copyFileSync(leafA.key, keyPath);
    const contexts: string[] = [];
    const errors: { err: string }[] = [];
    const stop = watchServerTls(
      { setSecureContext: (o: { cert?: unknown }) => void contexts.push(new X509Certificate(o.cert as Buffer).fingerprint256) },
      { cert: certPath, key: keyPath, reload_interval_ms: 50 },
      { info: () => undefined, error: (o) => void errors.push(o as { err: string }) },
    );
    const swap = async (pair: { cert: string; key: string }) => {
      copyFileSync(pair.key, keyPath);
      copyFileSync(pair.cert, certPath);
      await new Promise((r) => setTimeout(r, 250));
    };
    try {
      await swap(expired);
      await swap(notYet);
      expect(contexts).toEqual([]);
      expect(errors.map((e) => e.err)).toEqual([
        expect.stringMatching(new RegExp(`^tls\\.cert ${certPath.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is refused: it expired on 2020-01-02T00:00:00\\.000Z \\(valid Jan  1 00:00:00 2020 GMT to Jan  2 00:00:00 2020 GMT\\)$`)),
        expect.stringMatching(/is refused: it is not valid before 2099-01-01T00:00:00\.000Z/),
      ]);
      await swap(leafB);
      expect(contexts).toEqual([fingerprintOf(leafB.cert)]);
    } finally {
      stop();
    }
  });

  it('certificateValidityProblem reads the dates of the first certificate of the file', () => {
    const pem = readFileSync(leafA.cert);
    const x = new X509Certificate(pem);
    expect(certificateValidityProblem(pem, Date.now())).toBeUndefined();
    expect(certificateValidityProblem(pem, Date.parse(x.validTo) + 1000)).toMatch(/^it expired on /);
    expect(certificateValidityProblem(pem, Date.parse(x.validFrom) - 1000)).toMatch(/^it is not valid before /);
    expect(certificateValidityProblem(Buffer.concat([readFileSync(expired.cert), pem]), Date.now())).toMatch(/^it expired on 2020-01-02/);
  });
});

describe.skipIf(skip)('tlsOptions() for outgoing connections', () => {
  let url: string;
  let close: () => void;
  beforeAll(async () => {
    // a data source that requires a client certificate signed by the CA
    const srv = createServer({ key: readFileSync(leafA.key), cert: readFileSync(leafA.cert), ca: readFileSync(ca.cert), requestCert: true, rejectUnauthorized: true }, (_req, res) => res.end('ok'));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    url = `https://localhost:${(srv.address() as { port: number }).port}/`;
    close = () => srv.close();
  });
  afterAll(() => close?.());

  it('CA and client certificate: verified connection', async () => {
    const o = tlsOptions({ ca: ca.cert, cert: client.cert, key: client.key });
    expect(o.rejectUnauthorized).toBe(true);
    expect((await get(url, o)).body).toBe('ok');
  });

  it('verification is on by default: an unknown CA is refused', async () => {
    await expect(get(url, tlsOptions({ cert: client.cert, key: client.key }))).rejects.toThrow(/self[- ]signed|unable to verify|certificate/i);
  });

  it('verification_mode: full checks the host name, certificate does not, none checks nothing', async () => {
    await expect(get(url, tlsOptions({ ca: ca.cert, cert: client.cert, key: client.key, server_name: 'other.example' }))).rejects.toThrow(/altnames|Hostname|does not match/i);
    expect((await get(url, tlsOptions({ ca: ca.cert, cert: client.cert, key: client.key, server_name: 'other.example', verification_mode: 'certificate' }))).body).toBe('ok');
    expect((await get(url, tlsOptions({ cert: client.cert, key: client.key, verification_mode: 'none' }))).body).toBe('ok');
  });

  it('refuses unknown settings, a certificate without its key, unreadable files', () => {
    expect(() => tlsOptions({ verify: false } as never)).toThrow(/unknown setting/);
    expect(() => tlsOptions({ cert: client.cert })).toThrow(/go together/);
    expect(() => tlsOptions({ ca: join(dir, 'missing.pem') })).toThrow(/cannot be read/);
    expect(() => tlsOptions({ passphrase_env: 'VIGIL_NO_SUCH_VAR' }, { env: {} })).toThrow(/not set/);
  });
});
