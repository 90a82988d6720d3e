import { describe, expect, it } from 'vitest';
import { parseHash, timeParam, viewOf } from './router.js';

describe('viewOf', () => {
  it('opens the viewer for the alert link #/jobs/<job>/viewer', () => {
    // the default alert link (src/engine/alerting/payload.ts): {public_url}/app/#/jobs/{job_id}/viewer?time={time}
    expect(viewOf(parseHash('#/jobs/ingest/viewer?time=2026-11-22T22%3A25%3A07.334Z').parts)).toEqual({ section: 'viewer', arg: 'ingest' });
    expect(viewOf(parseHash('#/jobs/a%2Fb/viewer').parts)).toEqual({ section: 'viewer', arg: 'a/b' });
  });

  it('keeps the other routes', () => {
    expect(viewOf([])).toEqual({ section: 'jobs', arg: undefined });
    expect(viewOf(['jobs'])).toEqual({ section: 'jobs', arg: undefined });
    expect(viewOf(['jobs', 'new'])).toEqual({ section: 'jobs', arg: 'new' });
    expect(viewOf(['viewer', 'web'])).toEqual({ section: 'viewer', arg: 'web' });
    expect(viewOf(['training', 'm', 'r'])).toEqual({ section: 'training', arg: 'm' });
  });
});

describe('timeParam', () => {
  it('reads ISO 8601 and epoch milliseconds', () => {
    expect(timeParam('2026-11-22T22:25:07.334Z')).toBe(Date.UTC(2026, 10, 22, 22, 25, 7, 334));
    expect(timeParam('1705881600000')).toBe(1705881600000);
    expect(timeParam(null)).toBeUndefined();
    expect(timeParam('')).toBeUndefined();
    expect(timeParam('yesterday')).toBeUndefined();
  });
});
