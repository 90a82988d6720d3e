import { describe, expect, it } from 'vitest';
import { VigilError } from '../../core/errors.js';
import { DEFAULT_RETRY, retryDelay } from './backoff.js';
import type { AlertEvent } from './evaluate.js';
import { alertKey } from './keys.js';
import { alertLink, emailMessage, slackBody, webhookBody } from './payload.js';
import { renderAlertRule, ruleMatchesJob, validateAlertRule } from './rule.js';

function err(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(VigilError);
    return (e as Error).message;
  }
  throw new Error('no error');
}

describe('validateAlertRule', () => {
  it('fills in defaults', () => {
    const r = validateAlertRule('spikes', { jobs: 'web,api', condition: { type: 'anomaly' } });
    expect(r).toEqual({
      rule_id: 'spikes',
      description: '',
      enabled: true,
      jobs: ['web', 'api'],
      condition: { type: 'anomaly', result_type: 'record', min_score: 75, lookback_ms: null, min_count: 1, window_ms: null, include_interim: false },
      suppress_ms: 0,
      notify_recovery: true,
      actions: [],
    });
    expect(validateAlertRule('n', { job_id: 'web', condition: { type: 'no_data' } }).condition).toEqual({ type: 'no_data', buckets: 1, delay_ms: 0, reference: 'record_time' });
    expect(validateAlertRule('v', { jobs: ['web'], condition: { type: 'volume' } }).condition).toEqual({ type: 'volume', direction: 'both', buckets: 3, detector_index: null, include_interim: false });
  });

  it('reads severities as Elastic bands', () => {
    expect((validateAlertRule('a', { jobs: ['w'], condition: { type: 'anomaly', severity: 'major' } }).condition as { min_score: number }).min_score).toBe(50);
    expect((validateAlertRule('a', { jobs: ['w'], condition: { type: 'anomaly', severity: 'minor' } }).condition as { min_score: number }).min_score).toBe(25);
  });

  it('refuses bad rules with a message naming the field', () => {
    expect(err(() => validateAlertRule('Bad Id', { jobs: ['w'], condition: { type: 'no_data' } }))).toContain('rule id [Bad Id]');
    expect(err(() => validateAlertRule('a', { condition: { type: 'no_data' } }))).toContain('[jobs] is required');
    expect(err(() => validateAlertRule('a', { jobs: ['w'] }))).toContain('[condition] is required');
    expect(err(() => validateAlertRule('a', { jobs: ['w'], condition: { type: 'outage' } }))).toContain('[condition.type] must be one of');
    expect(err(() => validateAlertRule('a', { jobs: ['w'], condition: { type: 'no_data', bucket: 3 } }))).toContain('unknown field [bucket]');
    expect(err(() => validateAlertRule('a', { jobs: ['w'], condition: { type: 'no_data', buckets: 0 } }))).toContain('[condition.buckets] must be a whole number ≥ 1');
    expect(err(() => validateAlertRule('a', { jobs: ['w'], condition: { type: 'anomaly', min_score: 101 } }))).toContain('[condition.min_score]');
    expect(err(() => validateAlertRule('a', { jobs: ['w'], condition: { type: 'anomaly', min_score: 50, severity: 'major' } }))).toContain('not both');
    expect(err(() => validateAlertRule('a', { jobs: ['w'], condition: { type: 'anomaly', lookback: 'soon' } }))).toContain('[condition.lookback] must be a duration');
    expect(err(() => validateAlertRule('a', { jobs: ['w'], condition: { type: 'missing_data_run' } }))).toContain('[condition.max_buckets] is required');
    expect(err(() => validateAlertRule('a', { jobs: ['w'], condition: { type: 'no_data' }, actions: [{ type: 'webhook', url: 'ftp://x' }] }))).toContain('[actions[0].url] must be an http(s) URL');
    expect(err(() => validateAlertRule('a', { jobs: ['w'], condition: { type: 'no_data' }, actions: [{ type: 'email', to: 'nobody' }] }))).toContain('[actions[0].to]');
    expect(err(() => validateAlertRule('a', { jobs: ['w'], condition: { type: 'no_data' }, actions: [{ type: 'pager' }] }))).toContain('[actions[0].type]');
    expect(err(() => validateAlertRule('a', { rule_id: 'b', jobs: ['w'], condition: { type: 'no_data' } }))).toContain('differs from the id in the URL');
  });

  it('renders back to a body that validates to the same rule', () => {
    const body = {
      description: 'web is down',
      jobs: ['web', 'prod-*'],
      condition: { type: 'anomaly', result_type: 'bucket', min_score: 60, lookback: '1h', min_count: 2, window: '30m', include_interim: true },
      suppress_for: '2h',
      notify_recovery: false,
      actions: [
        { type: 'webhook', url: 'http://127.0.0.1:9/hook', headers: { Authorization: 'Bearer x' } },
        { type: 'slack', url: 'https://hooks.slack.com/services/T/B/X' },
        { type: 'email', to: ['ops@example.com'], from: 'vigil@example.com' },
      ],
    };
    const r = validateAlertRule('r1', body);
    const shown = renderAlertRule(r);
    expect(shown).toEqual({ rule_id: 'r1', enabled: true, ...body });
    expect(validateAlertRule('r1', shown)).toEqual(r);
    for (const c of [{ type: 'no_data', buckets: 3, delay: '1m' }, { type: 'missing_data_run', max_buckets: 0, window: '6h' }, { type: 'volume', direction: 'low', detector_index: 1 }]) {
      const v = validateAlertRule('x', { jobs: ['w'], condition: c });
      expect(validateAlertRule('x', renderAlertRule(v))).toEqual(v);
    }
  });
});

describe('redaction', () => {
  it('hides header values, URL user info and query, and Slack webhook paths; a redacted body is refused back', () => {
    const r = validateAlertRule('r', {
      jobs: ['w'],
      condition: { type: 'no_data' },
      actions: [
        { type: 'webhook', url: 'https://user:pw@hooks.example.com/in?token=abc', headers: { Authorization: 'Bearer s3cret' } },
        { type: 'slack', url: 'https://hooks.slack.com/services/T000/B000/XXXX' },
      ],
    });
    const shown = renderAlertRule(r, { redact: true });
    expect(shown.actions).toEqual([
      { type: 'webhook', url: 'https://hooks.example.com/in?<redacted>', headers: { Authorization: '<redacted>' } },
      { type: 'slack', url: 'https://hooks.slack.com/services/<redacted>' },
    ]);
    expect(JSON.stringify(shown)).not.toMatch(/s3cret|XXXX|token|pw/);
    expect(err(() => validateAlertRule('r', shown))).toContain('is <redacted>: give the real value');
    expect(err(() => validateAlertRule('r', { ...shown, actions: [(shown.actions as unknown[])[1]] }))).toContain('holds <redacted>: give the real URL');
    expect(renderAlertRule(r).actions).toEqual([
      { type: 'webhook', url: 'https://user:pw@hooks.example.com/in?token=abc', headers: { Authorization: 'Bearer s3cret' } },
      { type: 'slack', url: 'https://hooks.slack.com/services/T000/B000/XXXX' },
    ]);
  });
});

describe('ruleMatchesJob', () => {
  it('ids, groups, wildcards', () => {
    expect(ruleMatchesJob({ jobs: ['web'] }, 'web', [])).toBe(true);
    expect(ruleMatchesJob({ jobs: ['web'] }, 'api', ['web'])).toBe(true);
    expect(ruleMatchesJob({ jobs: ['web'] }, 'web2', [])).toBe(false);
    expect(ruleMatchesJob({ jobs: ['we*'] }, 'web2', [])).toBe(true);
    expect(ruleMatchesJob({ jobs: ['prod-*'] }, 'x', ['prod-eu'])).toBe(true);
    expect(ruleMatchesJob({ jobs: ['*'] }, 'anything', [])).toBe(true);
    expect(ruleMatchesJob({ jobs: ['a.b'] }, 'aXb', [])).toBe(false);
  });
});

describe('alertKey', () => {
  it('is deterministic and differs by each input', () => {
    const base = { ruleId: 'r', jobId: 'j', eventTime: 1000, kind: 'no_data', phase: 'fired' } as const;
    expect(alertKey(base)).toBe(alertKey({ ...base }));
    expect(alertKey(base)).toMatch(/^vigil-[0-9a-f]{32}$/);
    const others = [{ ruleId: 'r2' }, { jobId: 'j2' }, { eventTime: 1001 }, { kind: 'missing_data_run' as const }, { phase: 'recovered' as const }, { entity: 'x' }].map((o) => alertKey({ ...base, ...o }));
    expect(new Set([alertKey(base), ...others]).size).toBe(7);
  });
});

describe('retryDelay', () => {
  it('doubles up to the cap, then gives up', () => {
    const p = { ...DEFAULT_RETRY, jitter: 0 };
    expect([1, 2, 3, 4, 9].map((n) => retryDelay(n, 'k', p))).toEqual([2000, 4000, 8000, 16000, 512000]);
    expect(retryDelay(10, 'k', p)).toBeNull();
    expect(retryDelay(9, 'k', { ...p, maxDelayMs: 60_000 })).toBe(60_000);
  });
  it('jitter shortens by at most the fraction, deterministically', () => {
    for (let n = 1; n < 9; n++) {
      const d = retryDelay(n, 'key-a') as number;
      const full = Math.min(DEFAULT_RETRY.maxDelayMs, DEFAULT_RETRY.initialMs * 2 ** (n - 1));
      expect(d).toBeLessThanOrEqual(full);
      expect(d).toBeGreaterThanOrEqual(full * 0.75);
      expect(retryDelay(n, 'key-a')).toBe(d);
    }
    expect(retryDelay(3, 'key-a')).not.toBe(retryDelay(3, 'key-b'));
  });
});

describe('payloads', () => {
  const event: AlertEvent = {
    key: 'vigil-0123',
    rule_id: 'spikes',
    job_id: 'web requests',
    kind: 'anomaly',
    phase: 'fired',
    event_time: Date.UTC(2024, 0, 22, 14),
    severity: 'critical',
    score: 97.5,
    result_type: 'record',
    actual: [843],
    typical: [363.4],
    entity: {},
    is_interim: false,
    explanation: 'count unusually high: 843 vs typical 363.4',
    details: {},
    suppressed: false,
    detected_at: Date.UTC(2024, 0, 22, 14, 5),
  };

  it('link from the public URL and template', () => {
    expect(alertLink(event, { publicUrl: 'http://vigil:9200/' })).toBe('http://vigil:9200/app/#/jobs/web%20requests/viewer?time=2024-01-22T14%3A00%3A00.000Z');
    expect(alertLink(event, { publicUrl: 'https://v', linkTemplate: '{public_url}/#/jobs/{job_id}/viewer?time={time_ms}' })).toBe('https://v/#/jobs/web%20requests/viewer?time=1705932000000');
    expect(alertLink(event, {})).toBeNull();
  });

  it('webhook body holds everything a receiver needs', () => {
    const b = webhookBody(event, undefined, { publicUrl: 'http://v' });
    expect(b).toMatchObject({ idempotency_key: 'vigil-0123', job_id: 'web requests', time: '2024-01-22T14:00:00.000Z', severity: 'critical', actual: [843], typical: [363.4], explanation: event.explanation, rule: { rule_id: 'spikes' } });
    expect(String(b.link)).toContain('/viewer?time=');
  });

  it('slack body has text with the link and a coloured attachment', () => {
    const s = slackBody(event, { publicUrl: 'http://v' }) as { text: string; attachments: { color: string }[] };
    expect(s.text).toContain('critical: anomaly — job web requests (rule spikes)');
    expect(s.text).toContain('|Open in Vigil>');
    expect(s.attachments[0].color).toBe('#fe5050');
  });

  it('e-mail has the key as Message-ID and header', () => {
    const m = emailMessage({ ...event, phase: 'recovered', severity: 'ok', kind: 'no_data' }, { publicUrl: 'http://v', domain: 'example.com' });
    expect(m.subject).toBe('[Vigil] recovered: no data — job web requests (rule spikes)');
    expect(m.messageId).toBe('<vigil-0123@example.com>');
    expect(m.headers['X-Vigil-Idempotency-Key']).toBe('vigil-0123');
    expect(m.text).toContain('Open in Vigil: http://v/app/#/jobs/');
  });
});

describe('humanDuration', () => {
  it('two largest units', async () => {
    const { humanDuration } = await import('./evaluate.js');
    expect([601_000, 600_000, 7_500_000, 90_061_000, 59_999, 500].map(humanDuration)).toEqual(['10m 1s', '10m', '2h 5m', '1d 1h', '59s', '500ms']);
  });
});
