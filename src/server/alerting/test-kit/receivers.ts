/**
 * Real receivers on loopback for alerting tests: an HTTP server that records every request (and
 * can be told to fail the next N requests, fail always, or hang), and an SMTP server
 * (smtp-server) that records every message with its headers.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface Received {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
  /** Status answered. */
  status: number;
}

export interface HttpReceiver {
  url: string;
  received: Received[];
  /** Answer 503 to the next `n` requests. */
  failNext(n: number): void;
  /** Answer 500 to every request until set back to false. */
  failAlways(on: boolean): void;
  /** Keep the next requests waiting until release() (a receiver that hangs). */
  hang(on: boolean): void;
  release(): void;
  /** Distinct idempotency keys received with a 2xx answer. */
  acceptedKeys(): string[];
  close(): Promise<void>;
}

export async function startHttpReceiver(): Promise<HttpReceiver> {
  const received: Received[] = [];
  let failCount = 0;
  let always = false;
  let hanging = false;
  let waiters: (() => void)[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answer = (): void => {
        let body: Record<string, unknown> = {};
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
        } catch {
          body = { raw: Buffer.concat(chunks).toString('utf8') };
        }
        let status = 200;
        if (always) status = 500;
        else if (failCount > 0) {
          failCount--;
          status = 503;
        }
        received.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, status });
        res.writeHead(status, { 'content-type': 'text/plain' });
        res.end(status === 200 ? 'ok' : 'unavailable');
      };
      if (hanging) waiters.push(answer);
      else answer();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    failNext: (n) => void (failCount = n),
    failAlways: (on) => void (always = on),
    hang: (on) => void (hanging = on),
    release() {
      const w = waiters;
      waiters = [];
      for (const f of w) f();
    },
    acceptedKeys: () => [...new Set(received.filter((r) => r.status === 200).map((r) => String(r.headers['idempotency-key'])))],
    close: () =>
      new Promise<void>((r) => {
        for (const f of waiters) f();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export interface Mail {
  from: string;
  to: string[];
  raw: string;
  /** The body, quoted-printable or base64 decoded. */
  text: string;
  subject: string;
  messageId: string;
  headers: Record<string, string>;
}

export interface SmtpReceiver {
  port: number;
  mails: Mail[];
  close(): Promise<void>;
}

/** Decodes RFC 2047 encoded words (`=?UTF-8?Q?…?=`, `=?UTF-8?B?…?=`). */
function decodeWords(v: string): string {
  return v.replace(/\?=\s+=\?/g, '?==?').replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g, (_m, _cs: string, enc: string, text: string) => {
    if (enc.toUpperCase() === 'B') return Buffer.from(text, 'base64').toString('utf8');
    const bytes: number[] = [];
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (c === '_') bytes.push(0x20);
      else if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
        bytes.push(Number.parseInt(text.slice(i + 1, i + 3), 16));
        i += 2;
      } else bytes.push(c.charCodeAt(0));
    }
    return Buffer.from(bytes).toString('utf8');
  });
}

export async function startSmtpReceiver(): Promise<SmtpReceiver> {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const head = raw.split(/\r?\n\r?\n/)[0].replace(/\r?\n[ \t]+/g, ' ');
        const headers: Record<string, string> = {};
        for (const line of head.split(/\r?\n/)) {
          const i = line.indexOf(':');
          if (i > 0) headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
        }
        const bodyRaw = raw.split(/\r?\n\r?\n/).slice(1).join('\n\n');
        const cte = (headers['content-transfer-encoding'] ?? '').toLowerCase();
        const text =
          cte === 'quoted-printable'
            ? Buffer.from(bodyRaw.replace(/=\r?\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(Number.parseInt(h, 16))), 'latin1').toString('utf8')
            : cte === 'base64'
              ? Buffer.from(bodyRaw.replace(/\s+/g, ''), 'base64').toString('utf8')
              : bodyRaw;
        mails.push({
          text,
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          subject: decodeWords(headers.subject ?? ''),
          messageId: headers['message-id'] ?? '',
          headers,
        });
        callback();
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.server.address() as AddressInfo).port;
  return { port, mails, close: () => new Promise<void>((r) => server.close(() => r())) };
}
