/**
 * M4's CSV layout: a header row, then one row per series: a quoted id followed by the values,
 * oldest first, trailing cells empty. Parsing only (the caller reads the file).
 */
import { VigilError } from '../errors.js';

export interface M4Series {
  id: string;
  values: Float64Array;
}

export function parseM4Csv(text: string, source = 'input'): M4Series[] {
  const out: M4Series[] = [];
  const lines = text.split(/\r?\n/);
  for (let li = 0; li < lines.length; li++) {
    const line = lines[li];
    if (line.trim() === '') continue;
    const cells = line.split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
    if (li === 0 && /^V1$/i.test(cells[0])) continue;
    const vals: number[] = [];
    for (let i = 1; i < cells.length; i++) {
      if (cells[i] === '' || cells[i] === 'NA') continue;
      const v = Number(cells[i]);
      if (!Number.isFinite(v)) throw new VigilError('PARSE_ERROR', `${source}: line ${li + 1}, field ${i + 1}: not a number: ${JSON.stringify(cells[i])}`);
      vals.push(v);
    }
    out.push({ id: cells[0], values: Float64Array.from(vals) });
  }
  return out;
}
