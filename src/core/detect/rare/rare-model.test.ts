import { describe, expect, it } from 'vitest';
import { RareModel, newRareScore } from './rare-model.js';

function trained(buckets = 50): RareModel {
  const m = new RareModel({ minBuckets: 10 });
  for (let b = 0; b < buckets; b++) m.learn([['a', 1], ['b', 1], ...(b % 5 === 0 ? ([['c', 1]] as [string, number][]) : [])]);
  return m;
}

describe('RareModel', () => {
  it('scores a never-seen value above a rare one above a common one', () => {
    const m = trained();
    const s = newRareScore();
    m.score('new', s);
    const pNew = s.probability;
    expect(s.firstOccurrence).toBe(true);
    expect(s.score).toBeGreaterThan(0);
    m.score('c', s);
    const pRare = s.probability;
    m.score('a', s);
    expect(s.score).toBe(0);
    expect(pNew).toBeLessThan(pRare);
    expect(pRare).toBeLessThan(s.probability);
  });

  it('does not score while learning', () => {
    const m = trained(5);
    const s = newRareScore();
    m.score('new', s);
    expect(s.score).toBe(0);
  });

  it('round-trips its state exactly', () => {
    const m = trained();
    const copy = RareModel.fromState(JSON.parse(JSON.stringify(m.toState())));
    const a = newRareScore();
    const b = newRareScore();
    for (const v of ['new', 'c', 'a']) {
      m.score(v, a);
      copy.score(v, b);
      expect(b).toEqual(a);
    }
    expect(() => RareModel.fromState({ ...m.toState(), version: 7 })).toThrow('version 7');
  });
});
