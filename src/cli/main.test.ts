import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { exitOnBrokenPipe } from './main.js';

describe('exitOnBrokenPipe', () => {
  it('ends quietly when the reader of stdout goes away (EPIPE), rethrows other errors', () => {
    const stdout = new EventEmitter();
    const exits: number[] = [];
    exitOnBrokenPipe(stdout, (c) => exits.push(c));
    stdout.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    expect(exits).toEqual([0]);
    expect(() => stdout.emit('error', Object.assign(new Error('write EIO'), { code: 'EIO' }))).toThrow(/EIO/);
    expect(exits).toEqual([0]);
  });
});
