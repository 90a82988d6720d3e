/**
 * Reading fields of posted JSON documents by Elastic field name. A dotted name (`host.name`) is
 * found either as a flat key (`{"host.name": …}`) or by walking nested objects (`{"host":
 * {"name": …}}`), as Elastic's ingestion does. Accessors are compiled once per field.
 */

export type FieldGetter = (doc: Record<string, unknown>) => unknown;

/** Compiles a getter for `name`. */
export function fieldGetter(name: string): FieldGetter {
  if (!name.includes('.')) return (doc) => doc[name];
  const parts = name.split('.');
  return (doc) => {
    const flat = doc[name];
    if (flat !== undefined) return flat;
    return walk(doc, parts, 0);
  };
}

/** Walks nested objects, also trying the remaining parts joined (`{"a": {"b.c": 1}}`). */
function walk(obj: unknown, parts: string[], from: number): unknown {
  let cur: unknown = obj;
  for (let i = from; i < parts.length; i++) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    const o = cur as Record<string, unknown>;
    const next = o[parts[i]];
    if (next === undefined && i < parts.length - 1) {
      // a flat key holding the rest of the path
      for (let j = parts.length; j > i + 1; j--) {
        const key = parts.slice(i, j).join('.');
        if (key in o) return walk(o[key], parts, j) ?? (j === parts.length ? o[key] : undefined);
      }
      return undefined;
    }
    cur = next;
  }
  return cur;
}

/**
 * A field value as a term (by/over/partition/influencer value): strings as they are, numbers and
 * booleans as text, the first element of an array; null for missing or empty values.
 */
export function termOf(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.length > 0 ? termOf(v[0]) : null;
  return JSON.stringify(v);
}

/** A field value as a number (numbers, numeric strings, the first element of an array); NaN otherwise. */
export function numberOf(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    if (v.trim() === '') return NaN;
    return Number(v);
  }
  if (Array.isArray(v) && v.length > 0) return numberOf(v[0]);
  return NaN;
}

/** Number of leaf fields of a document (Elastic's input_field_count counts every field posted). */
export function countFields(doc: Record<string, unknown>): number {
  let n = 0;
  for (const key in doc) {
    const v = doc[key];
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) n += countFields(v as Record<string, unknown>);
    else n++;
  }
  return n;
}
