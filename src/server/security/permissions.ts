/**
 * The permission of every route, by `METHOD /path` as fastify registers it. A route may instead
 * declare `permission` in its RouteSpec (route-spec.ts); the declaration wins over this table.
 * A route with neither is refused to everyone but admin at run time, logged at start-up, and makes
 * src/server/security/permissions.test.ts fail — declare one when adding a route.
 *
 * Elastic's privileges for the same APIs: monitor_ml ≈ viewer (read), manage_ml ≈ editor (write).
 */
import type { Permission } from './roles.js';

const D = '/_ml/anomaly_detectors';
const U = '/_vigil/ui/uploads';

const read = (job?: string, extra: Partial<Permission> = {}): Permission => ({ privilege: 'read', ...(job ? { job } : {}), ...extra });
const write = (job?: string, extra: Partial<Permission> = {}): Permission => ({ privilege: 'write', ...(job ? { job } : {}), ...extra });
const monitor: Permission = { privilege: 'monitor' };

export const ROUTE_PERMISSIONS: Record<string, Permission> = {
  // cluster-level (app.ts)
  'GET /': monitor,
  'GET /_vigil/health': { privilege: 'public' },
  'GET /_cluster/health': monitor,
  'GET /_vigil/openapi.json': monitor,

  // jobs (routes/ml.ts)
  'GET /_ml/info': monitor,
  [`PUT ${D}/:job_id`]: write('job_id', { creates: true }),
  [`GET ${D}`]: read(undefined, { filter: 'jobs' }),
  [`GET ${D}/:job_id`]: read('job_id', { filter: 'jobs' }),
  [`DELETE ${D}/:job_id`]: write('job_id'),
  [`POST ${D}/:job_id/_update`]: write('job_id', { regroups: true }),
  [`POST ${D}/:job_id/_open`]: write('job_id'),
  [`POST ${D}/:job_id/_close`]: write('job_id'),
  [`POST ${D}/:job_id/_data`]: write('job_id'),
  [`POST ${D}/:job_id/_flush`]: write('job_id'),
  [`GET ${D}/_stats`]: read(undefined, { filter: 'jobs' }),
  [`GET ${D}/:job_id/_stats`]: read('job_id', { filter: 'jobs' }),
  [`GET ${D}/:job_id/results/buckets`]: read('job_id'),
  [`POST ${D}/:job_id/results/buckets`]: read('job_id'),
  [`GET ${D}/:job_id/results/buckets/:timestamp`]: read('job_id'),
  [`POST ${D}/:job_id/results/buckets/:timestamp`]: read('job_id'),
  [`GET ${D}/:job_id/results/records`]: read('job_id'),
  [`POST ${D}/:job_id/results/records`]: read('job_id'),
  [`GET ${D}/:job_id/results/influencers`]: read('job_id'),
  [`POST ${D}/:job_id/results/influencers`]: read('job_id'),
  [`GET ${D}/:job_id/results/overall_buckets`]: read('job_id'),
  [`POST ${D}/:job_id/results/overall_buckets`]: read('job_id'),
  [`GET ${D}/:job_id/results/model_plot`]: read('job_id'),
  [`POST ${D}/:job_id/results/model_plot`]: read('job_id'),
  [`GET ${D}/:job_id/model_snapshots`]: read('job_id'),
  [`POST ${D}/:job_id/model_snapshots`]: read('job_id'),
  [`POST ${D}/:job_id/_forecast`]: write('job_id'),
  [`DELETE ${D}/:job_id/_forecast`]: write('job_id'),
  [`DELETE ${D}/:job_id/_forecast/:forecast_id`]: write('job_id'),
  [`GET ${D}/:job_id/results/forecast`]: read('job_id'),
  [`POST ${D}/:job_id/results/forecast`]: read('job_id'),
  [`GET ${D}/:job_id/results/forecast_stats`]: read('job_id'),
  [`POST ${D}/_validate`]: write(),
  [`POST ${D}/_validate/detector`]: write(),

  // web UI (ui/routes.ts): the app itself needs a viewer so that browsers ask for credentials
  'GET /app': monitor,
  'GET /app/*': monitor,
  [`POST ${U}`]: write(),
  [`GET ${U}`]: read(),
  [`GET ${U}/:upload_id`]: read(),
  [`POST ${U}/:upload_id/_preview`]: read(),
  [`POST ${U}/:upload_id/_post/:job_id`]: write('job_id', { historical: true }),
  // datafeeds (datafeeds/routes.ts) — Elastic: monitor_ml reads, manage_ml changes; a datafeed names
  // its job in its body, not its path, so principals limited to job groups are refused (unscoped)
  'PUT /_ml/datafeeds/:datafeed_id': write(undefined, { unscoped: true }),
  'GET /_ml/datafeeds': read(undefined, { unscoped: true }),
  'GET /_ml/datafeeds/:datafeed_id': read(undefined, { unscoped: true }),
  'DELETE /_ml/datafeeds/:datafeed_id': write(undefined, { unscoped: true }),
  'POST /_ml/datafeeds/:datafeed_id/_update': write(undefined, { unscoped: true }),
  'POST /_ml/datafeeds/:datafeed_id/_start': write(undefined, { unscoped: true }),
  'POST /_ml/datafeeds/:datafeed_id/_stop': write(undefined, { unscoped: true }),
  'GET /_ml/datafeeds/:datafeed_id/_preview': read(undefined, { unscoped: true }),
  'POST /_ml/datafeeds/:datafeed_id/_preview': read(undefined, { unscoped: true }),
  'POST /_ml/datafeeds/_preview': write(undefined, { unscoped: true }),
  'GET /_ml/datafeeds/_stats': read(undefined, { unscoped: true }),
  'GET /_ml/datafeeds/:datafeed_id/_stats': read(undefined, { unscoped: true }),
  'GET /_vigil/datafeeds/:datafeed_id/annotations': read(undefined, { unscoped: true }),
  'POST /_vigil/datafeeds/:datafeed_id/_check_delayed_data': read(undefined, { unscoped: true }),

  // the embedded indices datafeeds read (datafeeds/indices-routes.ts)
  'POST /_bulk': write(undefined, { unscoped: true }),
  'PUT /_bulk': write(undefined, { unscoped: true }),
  'POST /:index/_bulk': write(undefined, { unscoped: true }),
  'PUT /:index/_bulk': write(undefined, { unscoped: true }),
  'POST /:index/_doc': write(undefined, { unscoped: true }),
  'POST /_vigil/indices/:index/_upload': write(undefined, { unscoped: true }),
  'GET /_vigil/indices': read(undefined, { unscoped: true }),
  'DELETE /_vigil/indices/:index': write(undefined, { unscoped: true }),

  // alerting (alerting/routes.ts): rules name their jobs in their bodies
  'GET /_vigil/alerts/rules': read(undefined, { unscoped: true }),
  'GET /_vigil/alerts/rules/:rule_id': read(undefined, { unscoped: true }),
  'PUT /_vigil/alerts/rules/:rule_id': write(undefined, { unscoped: true }),
  'POST /_vigil/alerts/rules/:rule_id': write(undefined, { unscoped: true }),
  'DELETE /_vigil/alerts/rules/:rule_id': write(undefined, { unscoped: true }),
  'GET /_vigil/alerts/history': read(undefined, { unscoped: true }),
  'GET /_vigil/alerts/history/:key': read(undefined, { unscoped: true }),
  'POST /_vigil/alerts/history/:key/_retry': write(undefined, { unscoped: true }),
  'POST /_vigil/alerts/_evaluate': write(undefined, { unscoped: true }),
};
