/**
 * A progress line on a terminal for long inputs (bytes read of the file's size, rows, rate). Silent
 * when stderr is not a terminal, so pipes and CI logs stay clean.
 */
import { statSync } from 'node:fs';

export class Progress {
  private readonly total: number;
  private readonly started = performance.now();
  private lastDraw = 0;
  private drawn = false;
  private readonly enabled: boolean;

  constructor(
    private readonly stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number },
    file: string | null,
  ) {
    this.enabled = Boolean(stream.isTTY) && process.env.CI !== 'true';
    let total = 0;
    try {
      if (file) total = statSync(file).size;
    } catch {
      total = 0;
    }
    this.total = total;
  }

  update(bytes: number, rows: number): void {
    if (!this.enabled) return;
    const now = performance.now();
    if (now - this.lastDraw < 200 || now - this.started < 1000) return;
    this.lastDraw = now;
    const secs = (now - this.started) / 1000;
    const rate = rows / secs;
    const width = 30;
    let bar = '';
    if (this.total > 0) {
      const f = Math.min(1, bytes / this.total);
      const filled = Math.round(f * width);
      bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(f * 100).toFixed(0).padStart(3)}% `;
    }
    this.stream.write(`\r${bar}${rows.toLocaleString('en-US')} rows, ${Math.round(rate).toLocaleString('en-US')} rows/s   `);
    this.drawn = true;
  }

  done(): void {
    if (this.drawn) this.stream.write('\r' + ' '.repeat(80) + '\r');
  }
}
