import { describe, expect, it } from 'vitest';
import { Random } from '../../random.js';
import { TimeModel, newTimeScore, timeModelSpec } from './time-model.js';

const H = 3_600_000;
const DAY = 24 * H;

function officeHours(days: number): TimeModel {
  const rnd = new Random(1);
  const m = new TimeModel(timeModelSpec(DAY));
  for (let d = 0; d < days; d++) m.learn(Array.from({ length: 8 }, () => d * DAY + 9 * H + rnd.int(0, 8 * H - 1)));
  return m;
}

describe('TimeModel', () => {
  it('finds a night-time event and accepts a day-time one', () => {
    const m = officeHours(14);
    const s = newTimeScore();
    m.score([20 * DAY + 3 * H], s);
    expect(s.score).toBeGreaterThan(0);
    expect(s.actualSeconds).toBe(3 * 3600);
    expect(s.typicalSeconds).toBeGreaterThanOrEqual(9 * 3600);
    const night = s.probability;
    m.score([20 * DAY + 11 * H], s);
    expect(s.score).toBe(0);
    expect(s.probability).toBeGreaterThan(100 * night);
  });

  it('the most unusual event of a bucket decides', () => {
    const m = officeHours(14);
    const s = newTimeScore();
    m.score([20 * DAY + 10 * H, 20 * DAY + 2 * H, 20 * DAY + 12 * H], s);
    expect(s.actualSeconds).toBe(2 * 3600);
  });

  it('needs a whole period before scoring', () => {
    const m = officeHours(1);
    const s = newTimeScore();
    m.score([2 * DAY + 3 * H], s);
    expect(s.score).toBe(0);
  });

  it('time_of_week places weeks on Monday', () => {
    const m = new TimeModel(timeModelSpec(7 * DAY));
    expect(m.offsetOf(Date.UTC(2024, 0, 1, 10))).toBe(10 * H); // a Monday
    expect(m.offsetOf(Date.UTC(2024, 0, 7, 10))).toBe(6 * DAY + 10 * H); // the Sunday after
  });

  it('round-trips its state exactly', () => {
    const m = officeHours(10);
    const copy = TimeModel.fromState(JSON.parse(JSON.stringify(m.toState())));
    const a = newTimeScore();
    const b = newTimeScore();
    m.score([30 * DAY + 4 * H], a);
    copy.score([30 * DAY + 4 * H], b);
    expect(b).toEqual(a);
  });
});
