/**
 * Decides which input fields hold the time, the value and the partition when the caller did not
 * name them, from the field names and a sample of values, and checks the ones the caller named.
 *
 * - time: the first field whose sample values parse as timestamps (more than half of the non-empty ones),
 *   trying fields named like a time first (@timestamp, timestamp, time, datetime, date, ts, …);
 * - value (numbers): the first other field whose samples are mostly numeric, trying names like
 *   value, count, metric, … first; (strings): the first other field.
 */
import { VigilError } from '../core/errors.js';
import { scoreTimestampFormats } from '../core/time/parse-timestamp.js';
import { parseNumberBytes } from './parse-number.js';

export type ValueKind = 'number' | 'string' | 'none';

export interface FieldChoiceOptions {
  timeField?: string;
  valueField?: string;
  partitionField?: string;
  valueKind?: ValueKind;
  timeFormat?: string;
  timeZone?: string;
  /**
   * When no value field is named and none fits (numbers), give `valueField: null` instead of failing
   * (the caller then counts records). Default false.
   */
  valueOptional?: boolean;
}

export interface FieldChoice {
  timeField: string;
  valueField: string | null;
  partitionField: string | null;
  /** The format given, else the detected one, else 'auto' (no sample parsed). */
  timeFormat: string;
}

export const TIME_NAMES = ['@timestamp', 'timestamp', 'time', 'datetime', 'date_time', 'date', 'ts', '_time', 'time_stamp', 'event_time', 'eventtime', 'created_at', 'dt', 'period'];
const VALUE_NAMES = ['value', 'count', 'y', 'metric', 'val', 'amount', 'total', 'sum', 'avg', 'mean', 'cnt', 'number', 'qty', 'quantity', 'volume', 'bytes'];

const listFields = (names: readonly string[]): string => (names.length ? names.map((n) => `'${n}'`).join(', ') : '(none)');

function preferred(names: readonly string[], wanted: readonly string[]): string[] {
  const byLower = new Map<string, string>();
  for (const n of names) if (!byLower.has(n.toLowerCase())) byLower.set(n.toLowerCase(), n);
  const out: string[] = [];
  for (const w of wanted) {
    const n = byLower.get(w);
    if (n !== undefined) out.push(n);
  }
  return out;
}

function requireField(names: readonly string[], name: string, role: string): string {
  if (names.includes(name)) return name;
  const loose = names.filter((n) => n.trim().toLowerCase() === name.trim().toLowerCase());
  if (loose.length === 1) return loose[0];
  throw new VigilError('FIELD_NOT_FOUND', `${role} field '${name}' not found; available fields: ${listFields(names)}`, { field: name, available: [...names] });
}

function numericShare(values: readonly string[]): { numeric: number; nonEmpty: number } {
  let numeric = 0;
  let nonEmpty = 0;
  for (const v of values) {
    if (v.trim() === '') continue;
    nonEmpty++;
    const b = Buffer.from(v, 'utf8');
    if (!Number.isNaN(parseNumberBytes(b, 0, b.length))) numeric++;
  }
  return { numeric, nonEmpty };
}

/**
 * Resolves the fields; `samples(name)` gives sample values of a field as text ('' when missing).
 * Throws FIELD_NOT_FOUND naming the available fields when a named field does not exist or no field
 * fits a role that must be filled.
 */
export function chooseFields(names: readonly string[], samples: (name: string) => string[], options: FieldChoiceOptions = {}): FieldChoice {
  const valueKind = options.valueKind ?? 'number';
  const partitionField = options.partitionField ? requireField(names, options.partitionField, 'partition') : null;
  let timeField: string;
  let timeFormat: string | null = options.timeFormat ?? null;
  if (timeFormat !== null && timeFormat.trim().toLowerCase() === 'auto') timeFormat = null;
  if (options.timeField) {
    timeField = requireField(names, options.timeField, 'time');
  } else {
    const order = [...preferred(names, TIME_NAMES), ...names.filter((n) => n !== partitionField)];
    let found: string | null = null;
    for (const name of order) {
      if (name === partitionField || name === options.valueField) continue;
      const score = scoreTimestampFormats(samples(name), { timeZone: options.timeZone });
      if (score && score.parsed > 0 && score.parsed * 2 > score.total) {
        found = name;
        break;
      }
    }
    // A field named like a time whose samples do not parse: use it and let the rows report bad dates.
    found ??= preferred(names, TIME_NAMES).find((n) => n !== partitionField && n !== options.valueField) ?? null;
    if (found === null) {
      throw new VigilError('FIELD_NOT_FOUND', `no field looks like a timestamp; available fields: ${listFields(names)}. Name the time field (timeField) and, if needed, its format (timeFormat)`, {
        available: [...names],
      });
    }
    timeField = found;
  }
  if (timeFormat === null) {
    const score = scoreTimestampFormats(samples(timeField), { timeZone: options.timeZone });
    timeFormat = score && score.parsed > 0 ? score.format : 'auto';
  }

  let valueField: string | null = null;
  if (valueKind !== 'none') {
    if (options.valueField) {
      valueField = requireField(names, options.valueField, 'value');
    } else {
      const others = names.filter((n) => n !== timeField && n !== partitionField);
      if (valueKind === 'string') {
        valueField = others[0] ?? null;
      } else {
        for (const name of [...preferred(others, VALUE_NAMES), ...others]) {
          const { numeric, nonEmpty } = numericShare(samples(name));
          if (nonEmpty > 0 && numeric * 2 > nonEmpty) {
            valueField = name;
            break;
          }
        }
        valueField ??= preferred(others, VALUE_NAMES)[0] ?? null;
      }
      if (valueField === null && !options.valueOptional) {
        throw new VigilError(
          'FIELD_NOT_FOUND',
          `no ${valueKind === 'number' ? 'numeric ' : ''}value field besides the time field '${timeField}'; available fields: ${listFields(names)}. Name it (valueField), or count records instead`,
          { available: [...names] },
        );
      }
    }
  }
  return { timeField, valueField, partitionField, timeFormat };
}
