import { describe, expect, it } from 'vitest';
import { SeasonalProfile } from './seasonal-profile.js';

const DAY = 86_400_000;
const SPAN = 300_000; // 5 minutes: 288 slots a day
const shape = (t: number) => 100 + 20 * Math.sin((2 * Math.PI * (t % DAY)) / DAY);

/** Feeds the first day(s) with every third hour missing (an irregular or gappy start). */
function gappy(p: SeasonalProfile, buckets: number): number {
  let t = 0;
  let fed = 0;
  while (fed < buckets) {
    const hour = Math.floor((t % DAY) / 3_600_000);
    if (hour % 3 !== 2) {
      p.learn(t + SPAN / 2, shape(t + SPAN / 2), Infinity);
      fed++;
    }
    t += SPAN;
  }
  return t;
}

describe('SeasonalProfile', () => {
  it('slots never seen in the first cycle are filled from their neighbours, not left as holes', () => {
    const p = new SeasonalProfile(DAY, SPAN, 288, 0.1);
    gappy(p, p.periodBuckets); // exactly one cycle of data: re-centred at its end
    // every slot, seen or not, is within a few units of the centred true shape (a hole would be ≈ −100)
    for (let k = 0; k < 288; k++) {
      const c = k * SPAN + SPAN / 2;
      expect(Math.abs(p.at(c) + p.baseline - shape(c))).toBeLessThan(3);
    }
  });

  it('reads an unseen slot as 0 during the first cycle, and round-trips it through JSON state', () => {
    const p = new SeasonalProfile(DAY, SPAN, 288, 0.1);
    const t = gappy(p, 100);
    const state = JSON.parse(JSON.stringify(p.toState()));
    expect(state.values.some((v: number | null) => v === null)).toBe(true);
    expect(Number.isNaN(p.at(200 * SPAN))).toBe(false);
    const q = new SeasonalProfile(DAY, SPAN, 288, 0.1).restore(state);
    for (let i = 0; i < 400; i++) {
      const c = t + i * SPAN + SPAN / 2;
      expect(q.at(c)).toBe(p.at(c));
      const x = shape(c) + (i % 7) - 3;
      expect(q.learn(c, x, Infinity)).toBe(p.learn(c, x, Infinity));
    }
    expect(Array.from(q.values)).toEqual(Array.from(p.values));
  });

  it('a centred (day-of-week) profile starts at its neutral value 0', () => {
    const p = new SeasonalProfile(7 * DAY, SPAN, 336, 0.1);
    p.setCentred(48);
    expect(Array.from(p.values).every((v) => v === 0)).toBe(true);
  });
});
