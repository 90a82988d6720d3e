/**
 * Test certificates made with the machine's `openssl`: a CA, and leaf certificates it signs
 * (server: CN/SAN localhost + 127.0.0.1; client). Skips cleanly when openssl is missing.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function ssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'ignore' });
}

export function makeCa(dir: string, name = 'ca'): { cert: string; key: string } {
  ssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=Vigil Test ${name}`], dir);
  return { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
}

/**
 * A leaf certificate signed by the CA; `hosts` become subjectAltNames. `validity` (openssl
 * YYYYMMDDHHMMSSZ dates) sets its notBefore/notAfter — e.g. in the past, for an expired
 * certificate; without it the certificate is valid from now for 2 days.
 */
export function makeLeaf(dir: string, ca: { cert: string; key: string }, name: string, hosts: string[] = ['localhost', '127.0.0.1'], validity?: { start: string; end: string }): { cert: string; key: string } {
  const san = hosts.map((h) => (/^\d+\.\d+\.\d+\.\d+$/.test(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
  writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\nextendedKeyUsage=serverAuth,clientAuth\n`);
  ssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${hosts[0]}`], dir);
  if (!validity) {
    ssl(['x509', '-req', '-in', `${name}.csr`, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`], dir);
  } else {
    // `openssl x509 -req` cannot set the dates (before OpenSSL 3.4); `openssl ca` can
    const db = join(dir, `${name}.ca-db`);
    mkdirSync(db, { recursive: true });
    writeFileSync(join(db, 'index.txt'), '');
    writeFileSync(join(db, 'serial'), `${randomBytes(8).toString('hex')}\n`);
    const conf = join(db, 'ca.cnf');
    writeFileSync(conf, `[ca]\ndefault_ca = t\n[t]\ndatabase = ${join(db, 'index.txt')}\nnew_certs_dir = ${db}\nserial = ${join(db, 'serial')}\ndefault_md = sha256\npolicy = p\nunique_subject = no\n[p]\ncommonName = supplied\n`);
    ssl(['ca', '-batch', '-notext', '-config', conf, '-cert', ca.cert, '-keyfile', ca.key, '-in', `${name}.csr`, '-out', `${name}.pem`, '-startdate', validity.start, '-enddate', validity.end, '-extfile', `${name}.ext`], dir);
  }
  return { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
}
