/**
 * Password and API-key hashing with node:crypto's scrypt (no dependency). A hash is one string,
 * `scrypt$<N>$<r>$<p>$<salt b64>$<hash b64>`, so parameters can be raised later without breaking
 * stored hashes. Verification is constant-time.
 *
 * @example
 *   const h = await hashSecret('correct horse');   // 'scrypt$16384$8$1$…'
 *   await verifySecret('correct horse', h);       // true
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const KEYLEN = 32;
/** N=2^14, r=8, p=1: ~16 MiB and tens of milliseconds per hash, the usual interactive setting. */
export const DEFAULT_SCRYPT = { N: 16384, r: 8, p: 1 };

function scrypt(secret: string, salt: Buffer, o: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCb(secret, salt, KEYLEN, { ...o, maxmem: 256 * o.N! * o.r! }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashSecret(secret: string, o: { N: number; r: number; p: number } = DEFAULT_SCRYPT): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(secret, salt, o);
  return `scrypt$${o.N}$${o.r}$${o.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** True when `hash` has the shape hashSecret writes (for configuration checks). */
export function isSecretHash(hash: unknown): hash is string {
  return typeof hash === 'string' && /^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/.test(hash);
}

export async function verifySecret(secret: string, hash: string): Promise<boolean> {
  if (!isSecretHash(hash)) return false;
  const [, n, r, p, salt, expected] = hash.split('$');
  const N = Number(n);
  // refuse absurd parameters from a tampered file rather than allocating gigabytes
  if (!(N >= 2 && N <= 2 ** 20 && Number(r) <= 32 && Number(p) <= 16)) return false;
  const want = Buffer.from(expected, 'base64');
  const got = await scrypt(secret, Buffer.from(salt, 'base64'), { N, r: Number(r), p: Number(p) });
  return want.length === got.length && timingSafeEqual(want, got);
}
