/** Plain-text tables of the CLI's reports: aligned columns, the first left, the others right. */

/**
 * Lays out rows of cells as aligned columns (first column left, others right, two spaces apart).
 *
 * @example
 * columns([['model', 'sMAPE'], ['naive2', '12.345']]) === 'model    sMAPE\nnaive2  12.345'
 */
export function columns(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((row) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd()).join('\n');
}
