/**
 * TLS, both ways.
 *
 * - The server: `tls.cert` / `tls.key` (PEM files) make `vigil serve` speak https. The files are
 *   checked every `tls.reload_interval` and, when they change (certificate renewal, a Kubernetes
 *   secret swap), the new pair is loaded into the running server with `setSecureContext` — new
 *   connections get the new certificate, open ones keep theirs. A broken pair, or a certificate
 *   that has expired or is not valid yet, is logged and the old one stays in use.
 * - Outgoing connections (datafeeds to Elasticsearch/OpenSearch/PostgreSQL/HTTP sources):
 *   `tlsOptions(config)` turns a source's `tls` mapping into Node's `tls.ConnectionOptions`
 *   (what `https.Agent`, the Elasticsearch client's `tls`, and pg's `ssl` take). Verification is
 *   on unless the configuration says `verification_mode: none`.
 *
 * @example
 *   // datafeed source config: { tls: { ca: /etc/vigil/es-ca.pem, cert: client.pem, key: client-key.pem } }
 *   const client = new Client({ node: url, tls: tlsOptions(source.tls, { cwd }) });
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { Server as HttpsServer } from 'node:https';
import { resolve } from 'node:path';
import { createSecureContext, type ConnectionOptions } from 'node:tls';
import { VigilError } from '../../core/errors.js';
import type { ServerTlsConfig } from './config.js';

export interface ServerTlsMaterial {
  key: Buffer;
  cert: Buffer;
}

/** Reads and checks the server's certificate and key. */
export function loadServerTls(cfg: ServerTlsConfig): ServerTlsMaterial {
  if (!cfg.cert || !cfg.key) throw new VigilError('USAGE', 'configuration tls: both tls.cert and tls.key are needed for https');
  let cert: Buffer;
  let key: Buffer;
  try {
    cert = readFileSync(cfg.cert);
  } catch (err) {
    throw new VigilError('FILE_NOT_FOUND', `tls.cert ${cfg.cert} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  try {
    key = readFileSync(cfg.key);
  } catch (err) {
    throw new VigilError('FILE_NOT_FOUND', `tls.key ${cfg.key} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  try {
    createSecureContext({ key, cert });
  } catch (err) {
    throw new VigilError('INVALID_ARGUMENT', `tls.cert ${cfg.cert} and tls.key ${cfg.key} are not a usable PEM certificate and matching key: ${(err as Error).message}`);
  }
  return { key, cert };
}

/**
 * Why the certificate (the first of the PEM file) cannot be served at `now`: expired, or not yet
 * valid; undefined when it is valid (or not an X.509 certificate Node can read — the key-pair
 * check reports those).
 */
export function certificateValidityProblem(cert: Buffer, now: number): string | undefined {
  let x: X509Certificate;
  try {
    x = new X509Certificate(cert);
  } catch {
    return undefined;
  }
  const from = Date.parse(x.validFrom);
  const to = Date.parse(x.validTo);
  if (Number.isFinite(to) && now > to) return `it expired on ${new Date(to).toISOString()} (valid ${x.validFrom} to ${x.validTo})`;
  if (Number.isFinite(from) && now < from) return `it is not valid before ${new Date(from).toISOString()} (valid ${x.validFrom} to ${x.validTo})`;
  return undefined;
}

function fingerprint(paths: string[]): string {
  return paths
    .map((p) => {
      try {
        const s = statSync(p);
        return `${s.ino}:${s.size}:${s.mtimeMs}`;
      } catch {
        return 'missing';
      }
    })
    .join('|');
}

/** Polls the files and swaps the server's SecureContext when they change; returns stop(). */
export function watchServerTls(
  server: Pick<HttpsServer, 'setSecureContext'>,
  cfg: ServerTlsConfig,
  log: { info(o: object, m?: string): void; error(o: object, m?: string): void },
  onReload?: (ok: boolean) => void,
): () => void {
  const paths = [cfg.cert as string, cfg.key as string];
  let last = fingerprint(paths);
  const timer = setInterval(() => {
    const now = fingerprint(paths);
    if (now === last) return;
    last = now;
    try {
      const m = loadServerTls(cfg);
      // clients refuse an expired or not-yet-valid certificate: serving it would cut them all off
      const problem = certificateValidityProblem(m.cert, Date.now());
      if (problem) throw new VigilError('INVALID_ARGUMENT', `tls.cert ${cfg.cert} is refused: ${problem}`);
      server.setSecureContext({ key: m.key, cert: m.cert });
      log.info({ cert: cfg.cert }, 'TLS certificate reloaded');
      onReload?.(true);
    } catch (err) {
      // half-written files (cert renewed, key not yet) are retried at the next change
      log.error({ cert: cfg.cert, err: (err as Error).message }, 'TLS certificate reload failed; the previous certificate stays in use');
      onReload?.(false);
    }
  }, Math.max(50, cfg.reload_interval_ms));
  timer.unref();
  return () => clearInterval(timer);
}

/** TLS settings of an outgoing connection (a datafeed source's `tls` mapping). */
export interface OutgoingTlsConfig {
  /** PEM file(s) of the certificate authorities to trust (default: Node's bundled roots). */
  ca?: string | string[];
  /** Client certificate (PEM) for mutual TLS, with its key. */
  cert?: string;
  key?: string;
  /** Passphrase of an encrypted key; prefer `passphrase_env` (the name of an environment variable). */
  passphrase?: string;
  passphrase_env?: string;
  /** `full` (default): certificate and host name; `certificate`: certificate only; `none`: no checks. */
  verification_mode?: 'full' | 'certificate' | 'none';
  /** Host name for SNI and verification when it differs from the URL's. */
  server_name?: string;
}

const KNOWN = ['ca', 'cert', 'key', 'passphrase', 'passphrase_env', 'verification_mode', 'server_name'];

function read(what: string, path: string, cwd: string): Buffer {
  const p = resolve(cwd, path);
  try {
    return readFileSync(p);
  } catch (err) {
    throw new VigilError('FILE_NOT_FOUND', `tls.${what} ${p} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}

/**
 * Node TLS options for an outgoing connection. Files are read at each call (call it when
 * connecting, so renewed certificates are picked up). Unknown keys and a cert without its key are
 * refused; verification stays on unless `verification_mode: none`.
 */
export function tlsOptions(config: OutgoingTlsConfig | undefined, o: { cwd?: string; env?: Record<string, string | undefined> } = {}): ConnectionOptions {
  const cwd = o.cwd ?? process.cwd();
  const c = config ?? {};
  if (c === null || typeof c !== 'object' || Array.isArray(c)) throw new VigilError('INVALID_ARGUMENT', 'tls must be a mapping of ca, cert, key, passphrase_env, verification_mode, server_name');
  for (const k of Object.keys(c)) if (!KNOWN.includes(k)) throw new VigilError('INVALID_ARGUMENT', `tls.${k}: unknown setting (known: ${KNOWN.join(', ')})`);
  if ((c.cert === undefined) !== (c.key === undefined)) throw new VigilError('INVALID_ARGUMENT', 'tls.cert and tls.key go together (a client certificate needs its key)');
  const mode = c.verification_mode ?? 'full';
  if (!['full', 'certificate', 'none'].includes(mode)) throw new VigilError('INVALID_ARGUMENT', `tls.verification_mode: ${JSON.stringify(mode)} is not full, certificate or none`);
  const out: ConnectionOptions = { rejectUnauthorized: mode !== 'none' };
  if (c.ca !== undefined) out.ca = (Array.isArray(c.ca) ? c.ca : [c.ca]).map((p) => read('ca', p, cwd));
  if (c.cert !== undefined && c.key !== undefined) {
    out.cert = read('cert', c.cert, cwd);
    out.key = read('key', c.key, cwd);
  }
  const pass = c.passphrase_env !== undefined ? (o.env ?? process.env)[c.passphrase_env] : c.passphrase;
  if (c.passphrase_env !== undefined && pass === undefined) throw new VigilError('INVALID_ARGUMENT', `tls.passphrase_env: environment variable ${c.passphrase_env} is not set`);
  if (pass !== undefined) out.passphrase = pass;
  if (c.server_name !== undefined) out.servername = c.server_name;
  if (mode === 'certificate') out.checkServerIdentity = () => undefined;
  return out;
}
