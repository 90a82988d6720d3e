/**
 * Builds an app for inject() tests: in-memory store (or a given one), the fake engine unless
 * another is given, a temporary WAL directory; `close()` cleans up.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { MemoryStore } from '../../store/memory-store.js';
import type { Store } from '../../store/store.js';
import { AlertService } from '../alerting/alert-service.js';
import { jobServicePort } from '../alerting/jobs-port.js';
import { buildApp, type AppDeps } from '../app.js';
import type { EngineFactory } from '../jobs/engine-port.js';
import { JobService, type JobServiceOptions } from '../jobs/job-service.js';
import { fakeEngine } from './fake-engine.js';

export interface Harness {
  app: FastifyInstance;
  service: JobService;
  store: Store;
  walDir: string;
  close(): Promise<void>;
}

export async function harness(o: { store?: Store; engine?: EngineFactory; service?: Partial<JobServiceOptions>; app?: Partial<AppDeps> } = {}): Promise<Harness> {
  // a data directory of its own: the datafeeds and embedded indices live beside the WAL (the WAL's
  // parent), so a bare temporary WAL folder would put them in the shared temporary directory
  const dataDir = mkdtempSync(join(tmpdir(), 'vigil-data-'));
  const walDir = join(dataDir, 'wal');
  const store = o.store ?? new MemoryStore();
  let t = Date.UTC(2024, 0, 1);
  const service = new JobService({ store, engine: o.engine ?? fakeEngine, walDir, clock: () => (t += 1000), ...o.service });
  // alerting without timers (its tests drive it), so the app serves and documents /_vigil/alerts
  const alerts = o.app?.alerts ?? (await AlertService.open({ dir: join(walDir, 'alerts'), jobs: jobServicePort(service), timers: false }));
  const app = buildApp({ service, version: 'test', alerts, ...o.app });
  await app.ready();
  return {
    app,
    service,
    store,
    walDir,
    async close() {
      await app.close();
      await alerts.close(100);
      await service.shutdown();
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const JSON9 = { 'content-type': 'application/vnd.elasticsearch+json; compatible-with=9', accept: 'application/vnd.elasticsearch+json; compatible-with=9' };
export const NDJSON9 = { 'content-type': 'application/vnd.elasticsearch+x-ndjson; compatible-with=9' };
