import { describe, expect, it } from 'vitest';
import { Serial } from './serial.js';

describe('Serial', () => {
  it('runs tasks one after another in the order they were queued', async () => {
    const q = new Serial();
    const log: string[] = [];
    const task = (name: string, ms: number) => async () => {
      log.push(`${name} start`);
      await new Promise((r) => setTimeout(r, ms));
      log.push(`${name} end`);
      return name;
    };
    const results = await Promise.all([q.run(task('a', 20)), q.run(task('b', 1)), q.run(task('c', 5))]);
    expect(results).toEqual(['a', 'b', 'c']);
    expect(log).toEqual(['a start', 'a end', 'b start', 'b end', 'c start', 'c end']);
  });

  it('gives a failure to its own caller only; the next task still runs', async () => {
    const q = new Serial();
    const failed = q.run(async () => {
      throw new Error('boom');
    });
    const next = q.run(async () => 42);
    await expect(failed).rejects.toThrow('boom');
    await expect(next).resolves.toBe(42);
  });
});
