/** Test data for the UI's end-to-end tests and screenshots. */

/** Three hosts' latency every 10 minutes for three weeks: daily cycle, a spike on web-2, a 6-hour gap on web-3. */
export function latencyCsv(): { text: string; spikeAt: number } {
  const start = Date.UTC(2024, 2, 4);
  const step = 10 * 60_000;
  const n = 21 * 144;
  const spikeAt = start + 16 * 86_400_000 + 14 * 3_600_000;
  let seed = 42;
  const rand = (): number => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  const lines = ['timestamp,host,region,latency_ms'];
  for (let i = 0; i < n; i++) {
    const t = start + i * step;
    const hour = (t % 86_400_000) / 3_600_000;
    for (const [h, host] of ['web-1', 'web-2', 'web-3'].entries()) {
      if (host === 'web-3' && t >= start + 9 * 86_400_000 && t < start + 9 * 86_400_000 + 6 * 3_600_000) continue;
      let v = 120 + 25 * h + 60 * Math.max(0, Math.sin(((hour - 6) / 24) * 2 * Math.PI)) + (rand() - 0.5) * 16;
      if (host === 'web-2' && t >= spikeAt && t < spikeAt + 40 * 60_000) v *= 3.2;
      lines.push(`${new Date(t).toISOString()},${host},${h === 2 ? 'eu' : 'us'},${v.toFixed(1)}`);
    }
  }
  return { text: lines.join('\n') + '\n', spikeAt };
}
