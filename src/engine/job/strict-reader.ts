/**
 * Reads one JSON object the way Elasticsearch's strict ObjectParser does: unknown fields are refused
 * ("[job_details] unknown field [foo]"), a value of the wrong JSON type is refused naming the field
 * ("[job_details] description doesn't support values of type: VALUE_NUMBER"), numbers may come as
 * numeric strings and booleans as "true"/"false", a single value stands for a one-element array.
 * `null` counts as absent.
 */
import { parseError } from './job-error.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: unknown };

/** Elastic's name for the token a JSON value starts with. */
export function tokenOf(v: unknown): string {
  if (v === null || v === undefined) return 'VALUE_NULL';
  if (Array.isArray(v)) return 'START_ARRAY';
  switch (typeof v) {
    case 'string':
      return 'VALUE_STRING';
    case 'number':
      return 'VALUE_NUMBER';
    case 'boolean':
      return 'VALUE_BOOLEAN';
    case 'object':
      return 'START_OBJECT';
  }
  return 'VALUE_EMBEDDED_OBJECT';
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export class StrictReader {
  readonly body: JsonObject;

  /**
   * @param parser Elastic's parser name for messages (`job_details`, `analysis_config`, `detector`…).
   * @param body the value to read; anything but an object is refused.
   * @param fields the fields this object may hold.
   */
  constructor(
    readonly parser: string,
    body: unknown,
    fields: readonly string[],
  ) {
    if (!isObject(body)) {
      throw parseError(`[${parser}] Expected START_OBJECT but found [${tokenOf(body)}]`);
    }
    const known = new Set(fields);
    for (const key of Object.keys(body)) {
      if (!known.has(key)) throw parseError(`[${parser}] unknown field [${key}]`);
    }
    this.body = body;
  }

  has(name: string): boolean {
    const v = this.body[name];
    return v !== undefined && v !== null;
  }

  private wrongType(name: string, v: unknown): never {
    throw parseError(`[${this.parser}] ${name} doesn't support values of type: ${tokenOf(v)}`);
  }

  private failed(name: string, type: string, reason: string): never {
    throw parseError(`[${this.parser}] failed to parse field [${name}]`, { type, reason });
  }

  string(name: string): string | undefined {
    const v = this.body[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return v;
    // Elastic's string fields take any scalar as its text
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    return this.wrongType(name, v);
  }

  bool(name: string): boolean | undefined {
    const v = this.body[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'boolean') return v;
    if (v === 'true') return true;
    if (v === 'false') return false;
    if (typeof v === 'string') {
      this.failed(name, 'illegal_argument_exception', `Failed to parse value [${v}] as only [true] or [false] are allowed.`);
    }
    return this.wrongType(name, v);
  }

  /** A whole number (Elastic's long); numeric strings are accepted. */
  long(name: string): number | undefined {
    const v = this.body[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'number') {
      if (!Number.isInteger(v)) this.failed(name, 'illegal_argument_exception', `Value [${v}] has a decimal part`);
      return v;
    }
    if (typeof v === 'string') {
      if (/^\s*-?\d+\s*$/.test(v)) return Number(v);
      this.failed(name, 'number_format_exception', `For input string: "${v}"`);
    }
    return this.wrongType(name, v);
  }

  double(name: string): number | undefined {
    const v = this.body[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'number') return v;
    if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
    if (typeof v === 'string') this.failed(name, 'number_format_exception', `For input string: "${v}"`);
    return this.wrongType(name, v);
  }

  stringArray(name: string): string[] | undefined {
    const v = this.body[name];
    if (v === undefined || v === null) return undefined;
    const items = Array.isArray(v) ? v : [v];
    return items.map((item) => {
      if (typeof item === 'string') return item;
      if (typeof item === 'number' || typeof item === 'boolean') return String(item);
      return this.wrongType(name, item);
    });
  }

  object(name: string): JsonObject | undefined {
    const v = this.body[name];
    if (v === undefined || v === null) return undefined;
    if (isObject(v)) return v;
    return this.wrongType(name, v);
  }

  objectArray(name: string): JsonObject[] | undefined {
    const v = this.body[name];
    if (v === undefined || v === null) return undefined;
    const items = Array.isArray(v) ? v : [v];
    return items.map((item) => (isObject(item) ? item : this.wrongType(name, item)));
  }

  /** The raw value (for fields Elastic passes through, such as a datafeed query). */
  raw(name: string): unknown {
    return this.body[name];
  }
}
