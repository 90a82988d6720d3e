/**
 * Information content of a bucket's string values (Elastic's `info_content`): roughly how many
 * bytes the bucket's distinct values would take once compressed. Each distinct value counts its
 * length times the Shannon entropy of its characters (bits per character, /8), plus one byte of
 * framing. Random-looking, long values (DNS tunnelling subdomains, encoded payloads) carry much
 * more information than ordinary names, so a series of it exposes exfiltration; the value is
 * then modelled like any other bucket metric.
 */

/** Shannon entropy of a string's characters, bits per character. */
export function characterEntropy(s: string): number {
  const n = s.length;
  if (n <= 1) return 0;
  const counts = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  let h = 0;
  for (const k of counts.values()) {
    const p = k / n;
    h -= p * Math.log2(p);
  }
  return h;
}

/** Information content, in bytes, of a set of distinct values. */
export function informationContent(values: Iterable<string>): number {
  let bytes = 0;
  for (const v of values) bytes += 1 + (v.length * characterEntropy(v)) / 8;
  return bytes;
}
