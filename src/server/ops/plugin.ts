/**
 * The one entry point of security and operations for the app builder (app.ts): the routes they add
 * (`opsRouteList`) and the hooks that enforce and measure every request (`installOpsPlugin`).
 * Without an `ops` context (inject tests, apps built by hand) authentication is off, as on loopback.
 */
import type { FastifyInstance } from 'fastify';
import type { JobService } from '../jobs/job-service.js';
import type { RouteSpec } from '../route-spec.js';
import { installOps } from '../security/install.js';
import { securityRoutes } from '../security/routes.js';
import { testOps, type Ops } from './context.js';
import { installOperations, opsRoutes } from './routes.js';

export function opsRouteList(deps: { service: JobService; ops?: Ops; version?: string }): RouteSpec[] {
  return [...securityRoutes(deps.ops), ...opsRoutes(deps)];
}

export function installOpsPlugin(app: FastifyInstance, deps: { service: JobService; ops?: Ops }, routes: RouteSpec[]): void {
  const ops = deps.ops ?? testOps();
  installOps(app, deps, routes, ops);
  installOperations(app, deps.service, ops);
}
