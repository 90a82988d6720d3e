/**
 * The web UI's routes: the built single-page app under `/app/` (dist/ui, made by
 * scripts/build-ui.mjs), and the Vigil extensions the job wizard needs that the jobs API does not
 * offer — file upload with field statistics (a data visualizer), a bucketed preview of the file's
 * series with a suggested bucket span, and posting an upload's records to a job's `_data` — and the
 * jobs list's scores (every job's newest bucket and highest bucket score in one request, where the
 * Elastic API needs two results requests per job).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { VigilError } from '../../core/errors.js';
import type { Store } from '../../store/store.js';
import type { JobService } from '../jobs/job-service.js';
import { COMMON_QUERY, QBool, qbool, type RouteSpec } from '../route-spec.js';
import type { Principal } from '../security/roles.js';
import { jobFieldsOf, ndjsonBatches, UploadStore, type PreviewRequest, type UploadMeta, type UploadOwner } from './uploads.js';

export interface UiOptions {
  /** Where uploaded files are kept (`vigil serve`: $VIGIL_UI_UPLOAD_DIR, else `<data_dir>/uploads`; without one, a `vigil-ui-uploads` folder in the OS temp dir). */
  uiUploadDir?: string;
  /** The built app (default: dist/ui of this package). */
  uiDistDir?: string;
}

const U = '/_vigil/ui/uploads';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/** The package root: the nearest folder up from this module with a package.json (src/ or dist/src/). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

export function defaultUiDistDir(): string {
  return join(packageRoot(), 'dist', 'ui');
}

/** The principal's mark on what it uploads (none without authentication installed). */
function ownerOf(p: Principal | null | undefined): UploadOwner | undefined {
  if (!p) return undefined;
  return { username: p.username, ...(p.jobGroups ? { job_groups: [...p.jobGroups] } : {}) };
}

/**
 * Whether a principal may see and use an upload. Uploads belong to no job, so they follow the rule
 * of the other job-free resources for principals limited to job groups (security/permissions.ts:
 * such principals see nothing outside their jobs) narrowed to what they made themselves: the same
 * user name, made under the same or a narrower job-group limit — so neither other users' files nor
 * the files its user uploaded without a limit (an admin's API key limited to a group) show. An
 * upload without an owner (stored before owners were recorded) is not theirs. Principals not
 * limited to job groups see every upload, as they see every job.
 */
export function uploadVisibleTo(p: Principal | null | undefined, m: Pick<UploadMeta, 'uploaded_by'>): boolean {
  if (!p?.jobGroups) return true;
  const o = m.uploaded_by;
  return !!o && o.username === p.username && !!o.job_groups && o.job_groups.every((g) => p.jobGroups!.includes(g));
}

const Q = Type.Object({ ...COMMON_QUERY }, { additionalProperties: false });

/** A job's newest bucket result and its highest bucket anomaly_score (absent: no bucket results). */
export interface JobScores {
  job_id: string;
  latest_bucket?: { timestamp: number; anomaly_score: number; is_interim: boolean };
  max_anomaly_score?: number;
}

export interface JobScoresLimits {
  /** Jobs per store query (each query is one aggregate over the jobs' buckets, whatever their number). */
  batchJobs: number;
}

/**
 * Every job's newest bucket and highest bucket score, interim buckets included — what
 * `results/buckets` answers per job sorted by timestamp, then by anomaly_score, descending, size 1.
 * The store computes them (`bucketSummaries`: one aggregate query per batch of jobs), so no bucket
 * row comes into the server (250 jobs × ~9 000 buckets on DuckDB: 4.6–6.5 s reading the rows, ~0.08 s this way).
 */
export async function jobScores(store: Store, jobs: { job_id: string }[], limits: JobScoresLimits = { batchJobs: 500 }): Promise<JobScores[]> {
  const out = new Map<string, JobScores>(jobs.map((j) => [j.job_id, { job_id: j.job_id }]));
  const ids = [...out.keys()];
  const size = Math.max(1, Math.floor(limits.batchJobs) || 1);
  for (let i = 0; i < ids.length; i += size) {
    for (const r of await store.bucketSummaries(ids.slice(i, i + size))) {
      const s = out.get(r.job_id);
      if (!s) continue;
      s.latest_bucket = { timestamp: r.latest.timestamp, anomaly_score: r.latest.anomaly_score, is_interim: r.latest.is_interim };
      s.max_anomaly_score = r.max_anomaly_score;
    }
  }
  return jobs.map((j) => out.get(j.job_id)!);
}
const UploadParam = Type.Object({ upload_id: Type.String() }, { additionalProperties: false });

export function uiRoutes(deps: { service: JobService } & UiOptions): RouteSpec[] {
  const service = deps.service;
  const dist = resolve(deps.uiDistDir ?? defaultUiDistDir());
  const uploads = new UploadStore(deps.uiUploadDir ?? process.env.VIGIL_UI_UPLOAD_DIR ?? join(tmpdir(), 'vigil-ui-uploads'));
  /** The upload's metadata when the caller may use it; another principal's answers as an unknown id (no hint that it exists). */
  const visibleMeta = async (req: FastifyRequest, id: string): Promise<UploadMeta> => {
    const m = await uploads.meta(id);
    if (!uploadVisibleTo(req.vigilPrincipal, m)) throw new VigilError('FILE_NOT_FOUND', `No upload with id [${id}]`);
    return m;
  };

  const serve = async (req: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    const rest = (req.params as Record<string, string>)['*'] ?? '';
    const wanted = normalize(join(dist, decodeURIComponent(rest.split('?')[0])));
    let file = wanted.startsWith(dist + sep) || wanted === dist ? wanted : join(dist, 'index.html');
    if (!existsSync(file) || statSync(file).isDirectory()) file = join(dist, 'index.html');
    if (!existsSync(file)) {
      reply.status(503).type('text/html; charset=utf-8');
      return '<!doctype html><title>Vigil</title><p>The web UI has not been built. Run <code>npm run build</code> and reload.</p>';
    }
    const hashed = /[/\\]assets[/\\]/.test(file);
    reply.header('cache-control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
    reply.type(TYPES[extname(file)] ?? 'application/octet-stream');
    return readFileSync(file);
  };

  return [
    {
      method: 'GET',
      url: '/_vigil/ui/jobs/:job_id/_scores',
      operationId: 'vigil.ui_job_scores',
      tag: 'vigil',
      summary: 'Vigil extension: for the jobs list, each job’s newest bucket (timestamp, anomaly_score, is_interim) and highest bucket anomaly_score, interim buckets included — one request for all jobs (ids, groups, wildcards, _all) instead of two results/buckets requests per job.',
      params: Type.Object({ job_id: Type.String({ description: 'Job ids, groups, wildcards or _all.' }) }, { additionalProperties: false }),
      querystring: Type.Object({ ...COMMON_QUERY, allow_no_match: QBool('Allow an expression that matches nothing (default true).') }, { additionalProperties: false }),
      response: { description: 'count and jobs: job_id, latest_bucket { timestamp, anomaly_score, is_interim } and max_anomaly_score (both absent for a job without bucket results), in the order of `_stats`.' },
      permission: { privilege: 'read', job: 'job_id', filter: 'jobs' },
      handler: async (req) => {
        const { job_id } = req.params as { job_id: string };
        const stats = await service.stats(job_id, qbool((req.query as { allow_no_match?: unknown }).allow_no_match, true));
        // a principal limited to job groups: only its jobs are read (the listing is narrowed to them anyway)
        const keep = (req as { vigilJobFilter?: Set<string> | null }).vigilJobFilter;
        const jobs = stats.filter((s) => !keep || keep.has(s.job_id as string)).map((s) => ({ job_id: s.job_id as string }));
        const scores = await jobScores(service.store, jobs);
        return { count: scores.length, jobs: scores };
      },
    },
    {
      method: 'GET',
      url: '/app',
      operationId: 'vigil.ui',
      tag: 'vigil',
      summary: 'Vigil extension: the web UI (a single-page app with hash routes: /app/#/jobs, #/viewer/<job>, #/explorer).',
      handler: serve,
    },
    {
      method: 'GET',
      url: '/app/*',
      operationId: 'vigil.ui_files',
      tag: 'vigil',
      summary: 'Vigil extension: the web UI’s files (unknown paths answer the app’s index.html).',
      handler: serve,
    },
    {
      method: 'POST',
      url: U,
      operationId: 'vigil.ui_upload',
      tag: 'vigil',
      summary: 'Vigil extension: upload a CSV, NDJSON or JSON file (plain or gzip) for the job wizard; returns the file’s field statistics and a suggested bucket span.',
      querystring: Type.Object(
        {
          ...COMMON_QUERY,
          file_name: Type.Optional(Type.String({ description: 'The file’s name, shown in the list of uploads.' })),
          time_field: Type.Optional(Type.String({ description: 'The time field (detected when omitted).' })),
          time_format: Type.Optional(Type.String({ description: 'Its format: iso8601, epoch, epoch_ms or a pattern (detected when omitted).' })),
        },
        { additionalProperties: false },
      ),
      bodyKind: 'data',
      rawBody: { contentTypes: ['application/octet-stream', 'text/csv', 'application/x-ndjson', 'application/json'], description: 'The file’s bytes.' },
      response: { description: 'upload_id, rows, time_field, fields (count, distinct, min/median/max, top values, histogram), suggested_bucket_span.' },
      handler: async (req) => {
        const q = req.query as Record<string, string | undefined>;
        const body = req.body as Buffer;
        if (!body || body.length === 0) throw new VigilError('NO_USABLE_DATA', 'the upload is empty');
        const owner = ownerOf(req.vigilPrincipal);
        return uploads.add(q.file_name ?? 'upload', body, { timeField: q.time_field || undefined, timeFormat: q.time_format || undefined, ...(owner ? { owner } : {}) });
      },
    },
    {
      method: 'GET',
      url: U,
      operationId: 'vigil.ui_uploads',
      tag: 'vigil',
      summary: 'Vigil extension: the files uploaded so far, newest first (a user limited to job groups sees only the uploads it made under that limit; each upload names its uploader in `uploaded_by`).',
      querystring: Q,
      handler: async (req) => ({ uploads: await uploads.list((m) => uploadVisibleTo(req.vigilPrincipal, m)) }),
    },
    {
      method: 'GET',
      url: `${U}/:upload_id`,
      operationId: 'vigil.ui_upload_get',
      tag: 'vigil',
      summary: 'Vigil extension: one upload with its field statistics.',
      params: UploadParam,
      querystring: Q,
      handler: async (req) => visibleMeta(req, (req.params as { upload_id: string }).upload_id),
    },
    {
      method: 'POST',
      url: `${U}/:upload_id/_preview`,
      operationId: 'vigil.ui_upload_preview',
      tag: 'vigil',
      summary: 'Vigil extension: the bucketed series a detector would see (per split value, most frequent first) and the suggested bucket span.',
      params: UploadParam,
      querystring: Q,
      bodyName: 'preview',
      body: Type.Object(
        {
          function: Type.Optional(Type.String()),
          field_name: Type.Optional(Type.String()),
          split_field_name: Type.Optional(Type.String()),
          bucket_span: Type.Optional(Type.String()),
          max_series: Type.Optional(Type.Integer({ minimum: 1, maximum: 10 })),
        },
        { additionalProperties: false },
      ),
      handler: async (req) => {
        const id = (req.params as { upload_id: string }).upload_id;
        await visibleMeta(req, id);
        return uploads.preview(id, req.body as PreviewRequest);
      },
    },
    {
      method: 'POST',
      url: `${U}/:upload_id/_post/:job_id`,
      operationId: 'vigil.ui_upload_post',
      tag: 'vigil',
      summary: 'Vigil extension: sends an upload’s records to an open job (as `_data` batches holding the job’s fields), then flushes; returns the job’s data_counts.',
      params: Type.Object({ upload_id: Type.String(), job_id: Type.String() }, { additionalProperties: false }),
      querystring: Q,
      handler: async (req) => {
        const { upload_id, job_id } = req.params as { upload_id: string; job_id: string };
        await visibleMeta(req, upload_id);
        const [job] = await service.getJobs(job_id, false);
        if (!job) throw new VigilError('FILE_NOT_FOUND', `No known job with id '${job_id}'`);
        const table = await uploads.table(upload_id);
        let counts: Record<string, unknown> = {};
        let batches = 0;
        for (const b of ndjsonBatches(table, jobFieldsOf(job))) {
          counts = await service.postData(job_id, Buffer.from(b.body, 'utf8'));
          batches++;
        }
        await service.flushJob(job_id, { calcInterim: true });
        return { job_id, upload_id, batches, data_counts: counts };
      },
    },
  ];
}
