/**
 * Vigil's alerting API (`/_vigil/alerts/…`): alert rules (create or replace, get, list, delete),
 * the alert history (fired, delivered, failed, dead-lettered, suppressed — with every delivery's
 * attempts), a retry of a dead-lettered alert, and an evaluation on demand. No routes when the
 * server runs without alerting.
 */
import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { VigilError } from '../../core/errors.js';
import { COMMON_QUERY, type RouteSpec } from '../route-spec.js';
import type { AlertService, HistoryQuery } from './alert-service.js';
import type { AlertStatus } from './alert-store.js';

const R = '/_vigil/alerts';
const Q = (props: Record<string, TSchema>) => Type.Object({ ...COMMON_QUERY, ...props }, { additionalProperties: false });
const RuleParam = Type.Object({ rule_id: Type.String({ description: 'Rule id: 1–64 lowercase letters, digits, - or _.' }) }, { additionalProperties: false });
const KeyParam = Type.Object({ key: Type.String({ description: 'The alert’s idempotency key.' }) }, { additionalProperties: false });

const RuleBody = Type.Object(
  {
    description: Type.Optional(Type.String()),
    enabled: Type.Optional(Type.Boolean({ description: 'Default true.' })),
    jobs: Type.Optional(Type.Unknown({ description: 'Job ids, group names or wildcards (a list, or a comma-separated string).' })),
    condition: Type.Optional(
      Type.Unknown({
        description:
          'One of: {type: anomaly, result_type: record|bucket|influencer, min_score | severity, lookback, min_count, window, include_interim}; ' +
          '{type: no_data, buckets, delay, reference: record_time|arrival_time}; {type: missing_data_run, max_buckets, window, include_interim}; ' +
          '{type: volume, direction: low|high|both, buckets, detector_index, include_interim}.',
      }),
    ),
    suppress_for: Type.Optional(Type.String({ description: 'Further firings for the same job within this period are recorded as suppressed, not sent.' })),
    notify_recovery: Type.Optional(Type.Boolean({ description: 'Send a recovery when a downtime condition clears (default true).' })),
    actions: Type.Optional(Type.Array(Type.Unknown(), { description: '{type: webhook, url, headers}, {type: slack, url}, {type: email, to, from}.' })),
  },
  { additionalProperties: true },
);

const STATUSES: AlertStatus[] = ['fired', 'delivered', 'failed', 'dead_letter', 'suppressed', 'recorded'];

const params = (req: FastifyRequest): Record<string, string> => req.params as Record<string, string>;
const query = (req: FastifyRequest): Record<string, unknown> => (req.query as Record<string, unknown>) ?? {};

function int(v: unknown, name: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new VigilError('INVALID_ARGUMENT', `[${name}] must be a whole number from ${min} to ${max}, got [${String(v)}]`);
  return n;
}

export function alertRoutes(deps: { alerts?: AlertService }): RouteSpec[] {
  const alerts = deps.alerts;
  if (!alerts) return [];
  return [
    {
      method: 'GET',
      url: `${R}/rules`,
      operationId: 'vigil.alerts.get_rules',
      tag: 'vigil',
      summary: 'Vigil extension: every alert rule.',
      querystring: Q({}),
      handler: async () => {
        const rules = alerts.listRules();
        return { count: rules.length, rules };
      },
    },
    {
      method: 'GET',
      url: `${R}/rules/:rule_id`,
      operationId: 'vigil.alerts.get_rule',
      tag: 'vigil',
      summary: 'Vigil extension: one alert rule.',
      params: RuleParam,
      querystring: Q({}),
      handler: async (req) => alerts.getRule(params(req).rule_id),
    },
    {
      method: ['PUT', 'POST'],
      url: `${R}/rules/:rule_id`,
      operationId: 'vigil.alerts.put_rule',
      tag: 'vigil',
      summary: 'Vigil extension: create or replace an alert rule on jobs or groups (anomaly, no_data, missing_data_run or volume condition; webhook, slack or email actions).',
      params: RuleParam,
      querystring: Q({}),
      bodyName: 'alert_rule',
      body: RuleBody,
      handler: async (req) => {
        const r = await alerts.putRule(params(req).rule_id, req.body);
        return { acknowledged: true, created: r.created, rule: r.rule };
      },
    },
    {
      method: 'DELETE',
      url: `${R}/rules/:rule_id`,
      operationId: 'vigil.alerts.delete_rule',
      tag: 'vigil',
      summary: 'Vigil extension: delete an alert rule (its alert history is kept).',
      params: RuleParam,
      querystring: Q({}),
      handler: async (req) => {
        await alerts.deleteRule(params(req).rule_id);
        return { acknowledged: true };
      },
    },
    {
      method: 'GET',
      url: `${R}/history`,
      operationId: 'vigil.alerts.get_history',
      tag: 'vigil',
      summary: 'Vigil extension: alerts, newest first, with their delivery status and attempts.',
      querystring: Q({
        rule_id: Type.Optional(Type.String()),
        job_id: Type.Optional(Type.String()),
        status: Type.Optional(Type.String({ description: STATUSES.join(', ') })),
        kind: Type.Optional(Type.String({ description: 'anomaly, no_data, missing_data_run, volume_low, volume_high' })),
        from: Type.Optional(Type.String({ description: 'Skip this many (default 0).' })),
        size: Type.Optional(Type.String({ description: 'At most this many (default 100, at most 10000).' })),
      }),
      handler: async (req) => {
        const q = query(req);
        if (q.status !== undefined && !STATUSES.includes(q.status as AlertStatus)) throw new VigilError('INVALID_ARGUMENT', `[status] must be one of ${STATUSES.join(', ')}, got [${String(q.status)}]`);
        const hq: HistoryQuery = {
          rule_id: q.rule_id as string | undefined,
          job_id: q.job_id as string | undefined,
          status: q.status as AlertStatus | undefined,
          kind: q.kind as string | undefined,
          from: int(q.from, 'from', 0, 1_000_000),
          size: int(q.size, 'size', 0, 10_000),
        };
        return alerts.history(hq);
      },
    },
    {
      method: 'GET',
      url: `${R}/history/:key`,
      operationId: 'vigil.alerts.get_alert',
      tag: 'vigil',
      summary: 'Vigil extension: one alert by its idempotency key.',
      params: KeyParam,
      querystring: Q({}),
      handler: async (req) => alerts.getAlert(params(req).key),
    },
    {
      method: 'POST',
      url: `${R}/history/:key/_retry`,
      operationId: 'vigil.alerts.retry',
      tag: 'vigil',
      summary: 'Vigil extension: deliver a dead-lettered or failing alert again, with a fresh set of attempts.',
      params: KeyParam,
      querystring: Q({}),
      handler: async (req) => alerts.retryAlert(params(req).key),
    },
    {
      method: 'POST',
      url: `${R}/_evaluate`,
      operationId: 'vigil.alerts.evaluate',
      tag: 'vigil',
      summary: 'Vigil extension: evaluate the rules now (they also run when results are written and on a timer).',
      querystring: Q({ rule_id: Type.Optional(Type.String()), job_id: Type.Optional(Type.String()) }),
      handler: async (req) => {
        const q = query(req);
        const n = await alerts.evaluate({ ruleId: q.rule_id as string | undefined, jobId: q.job_id as string | undefined });
        return { alerts: n };
      },
    },
  ];
}
