import { describe, expect, it } from 'vitest';
import { Random } from '../../random.js';
import { PopulationModel, newPopulationScore } from './population-model.js';

function clients(side: 'both' | 'high' | 'low' = 'both'): PopulationModel {
  const rnd = new Random(3);
  const m = new PopulationModel({ isCount: true, side });
  for (let b = 0; b < 20; b++) m.learn(Array.from({ length: 50 }, () => rnd.int(1, 8)));
  return m;
}

describe('PopulationModel', () => {
  it('scores an outlying member against the population', () => {
    const m = clients();
    const s = newPopulationScore();
    m.score(4, s);
    expect(s.score).toBe(0);
    m.score(400, s);
    expect(s.score).toBeGreaterThan(25);
    expect(s.typical).toBeGreaterThan(1);
    expect(s.typical).toBeLessThan(8);
    expect(s.lower).toBeGreaterThanOrEqual(0);
  });

  it('scores one side only for high_ and low_ functions', () => {
    const s = newPopulationScore();
    const high = clients('high');
    high.score(0, s);
    expect(s.score).toBe(0);
    high.score(400, s);
    expect(s.score).toBeGreaterThan(0);
  });

  it('one outlier does not widen the population much', () => {
    const m = clients();
    m.learn([1e6, ...Array.from({ length: 49 }, () => 4)]);
    const s = newPopulationScore();
    m.score(400, s);
    expect(s.score).toBeGreaterThan(25);
  });

  it('waits for enough members and buckets', () => {
    const m = new PopulationModel({ isCount: true });
    m.learn([1, 2, 3]);
    const s = newPopulationScore();
    m.score(1000, s);
    expect(s.score).toBe(0);
  });

  it('round-trips its state exactly', () => {
    const m = clients();
    const copy = PopulationModel.fromState(JSON.parse(JSON.stringify(m.toState())));
    const a = newPopulationScore();
    const b = newPopulationScore();
    m.score(300, a);
    copy.score(300, b);
    expect(b).toEqual(a);
  });
});
