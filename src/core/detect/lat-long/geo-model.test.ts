import { describe, expect, it } from 'vitest';
import { Random } from '../../random.js';
import { GeoModel, newGeoScore, parseGeoPoint } from './geo-model.js';

function commuter(): GeoModel {
  const rnd = new Random(2);
  const m = new GeoModel();
  for (let b = 0; b < 60; b++) {
    // home in Paris, office in La Défense
    const home = b % 2 === 0;
    m.learn([(home ? 48.85 : 48.89) + 0.01 * rnd.normal(), (home ? 2.35 : 2.24) + 0.01 * rnd.normal()]);
  }
  return m;
}

describe('GeoModel', () => {
  it('reads Elastic geo points', () => {
    expect(parseGeoPoint('48.85,2.35')).toEqual([48.85, 2.35]);
    expect(parseGeoPoint({ lat: 1, lon: 2 })).toEqual([1, 2]);
    expect(parseGeoPoint([2, 1])).toEqual([1, 2]);
    expect(parseGeoPoint('north')).toBeNull();
    expect(parseGeoPoint('95,0')).toBeNull();
  });

  it('learns both places and finds a far one', () => {
    const m = commuter();
    const s = newGeoScore();
    m.score([48.85, 2.35], s);
    expect(s.score).toBe(0);
    m.score([48.89, 2.24], s);
    expect(s.score).toBe(0);
    m.score([40.71, -74.0], s);
    expect(s.score).toBeGreaterThan(25);
    expect(s.actual).toEqual([40.71, -74.0]);
    expect(s.typical[0]).toBeCloseTo(48.9, 0);
  });

  it('keeps at most maxComponents', () => {
    const m = new GeoModel({ maxComponents: 3 });
    for (let i = 0; i < 20; i++) m.learn([i * 4 - 40, i * 8 - 80]);
    expect(m.toState().state.comps.length).toBeLessThanOrEqual(3);
  });

  it('round-trips its state exactly', () => {
    const m = commuter();
    const copy = GeoModel.fromState(JSON.parse(JSON.stringify(m.toState())));
    const a = newGeoScore();
    const b = newGeoScore();
    m.score([51.5, -0.12], a);
    copy.score([51.5, -0.12], b);
    expect(b).toEqual(a);
  });
});
