/**
 * Job forecasts over the jobs service: Elastic's `_forecast` (run now, stored, answered with its
 * forecast_id), the deletion of forecasts, and reading a forecast's `model_forecast` documents.
 *
 * Where the history comes from: every series entity of the job engine keeps a bounded history of
 * its final bucket values (src/engine/job/bucket-history.ts: three weeks of buckets, 336 to 2 016
 * float32 values, in the job's state and model bytes). The forecast runs inside the job's queue
 * (between two `_data` posts) on those histories with src/engine/forecast's `runJobForecast`, and
 * its request-stats and result documents go to the store (Store.putForecast). Elastic runs a
 * forecast asynchronously and answers at once; Vigil's forecast is finished when it answers.
 *
 * Expiry: see expiry.ts. Forecasts are deleted with their job.
 */
import { randomBytes } from 'node:crypto';
import { VigilError } from '../../core/errors.js';
import {
  FORECAST_MESSAGES,
  runJobForecast,
  UNSUPPORTED_FORECAST_FUNCTIONS,
  validateForecastRequest,
  type ForecastJobConfig,
  type ForecastRequest,
} from '../../engine/forecast/index.js';
import type { ForecastStatsDoc, ResultDoc, ResultPage } from '../../store/store.js';
import type { JobService } from '../jobs/job-service.js';
import { isForecastExpired } from './expiry.js';

/** A VigilError whose Elastic error type is the one the forecast engine names (`status_exception`…). */
class ElasticTypedError extends VigilError {
  override get type(): string {
    const t = this.details?.elasticType;
    return typeof t === 'string' ? t : super.type;
  }
}

function typed(err: unknown): unknown {
  return err instanceof VigilError && typeof err.details?.elasticType === 'string' && !(err instanceof ElasticTypedError)
    ? new ElasticTypedError(err.code, err.message, err.details)
    : err;
}

/** Elastic's message for forecast ids that match nothing. */
function noSuchForecast(ids: string, jobId: string): VigilError {
  return new VigilError('RESOURCE_NOT_FOUND', `No forecast(s) [${ids}] exists for job [${jobId}]`);
}

/** Elastic-style forecast id: 20 URL-safe base64 characters. */
export function newForecastId(): string {
  return randomBytes(15).toString('base64url');
}

export interface ForecastReadQuery {
  forecastId?: string;
  start?: number;
  end?: number;
  detectorIndex?: number;
  partitionFieldValue?: string;
  byFieldValue?: string;
  from?: number;
  size?: number;
}

export class ForecastService {
  constructor(private readonly jobs: JobService) {}

  /**
   * Runs a forecast of an open job and stores it. Refusals (Elastic's): a closed job (409), bad
   * duration / expires_in / max_model_memory, no data processed, population or unsupported
   * functions only, the model memory status at the hard limit (400 status_exception).
   */
  async forecast(jobId: string, request: ForecastRequest): Promise<{ acknowledged: true; forecast_id: string }> {
    await this.sweep(jobId).catch(() => undefined);
    try {
      return await this.jobs.withOpenJob(jobId, async ({ config, engine }) => {
        const memoryStatus = engine.modelSizeStats().memory_status;
        if (memoryStatus === 'hard_limit') {
          throw new ElasticTypedError('INVALID_ARGUMENT', 'Cannot run forecast: Forecast cannot be executed as model memory status is not OK', { elasticType: 'status_exception' });
        }
        const histories = engine.forecastHistories?.() ?? [];
        // population, rare, time and lat_long detectors keep no history: a job with data and only
        // those gets ml-cpp's message for them, not the one for a job without data
        if (histories.length === 0 && Number(engine.dataCounts().processed_record_count ?? 0) > 0) {
          validateForecastRequest(config as unknown as ForecastJobConfig, request);
          const dets = config.analysis_config.detectors;
          const population = (d: (typeof dets)[number]) => typeof d.over_field_name === 'string' && d.over_field_name !== '';
          const fail = (m: string) => new ElasticTypedError('INVALID_ARGUMENT', `Cannot run forecast: ${m}`, { elasticType: 'status_exception' });
          if (dets.every(population)) throw fail(FORECAST_MESSAGES.population);
          if (dets.every((d) => population(d) || UNSUPPORTED_FORECAST_FUNCTIONS.has(d.function))) throw fail(FORECAST_MESSAGES.unsupportedFunctions);
        }
        const run = runJobForecast({
          job: config as unknown as ForecastJobConfig,
          request,
          histories,
          now: this.jobs.now(),
          forecastId: newForecastId(),
        });
        await this.jobs.store.putForecast(jobId, run.stats as unknown as ForecastStatsDoc, run.results as unknown as ResultDoc[]);
        return run.response;
      });
    } catch (err) {
      throw typed(err);
    }
  }

  /**
   * Deletes forecasts: `_all`, `*` or nothing for all of them, else a comma list of ids and
   * wildcards. Nothing matched: 404 (Elastic's message) unless all were asked for and
   * `allowNoForecasts` (default true); an explicit id that is not stored: 404.
   */
  async delete(jobId: string, expr: string | undefined, allowNoForecasts = true): Promise<{ acknowledged: true }> {
    await this.jobs.jobConfig(jobId); // 404 for an unknown job
    await this.sweep(jobId);
    const stored = (await this.jobs.store.listForecasts([jobId])).map((d) => d.forecast_id);
    const all = expr === undefined || expr === '' || expr === '_all' || expr === '*';
    let targets: string[];
    if (all) targets = stored;
    else {
      const tokens = expr.split(',').map((t) => t.trim()).filter((t) => t !== '');
      const chosen = new Set<string>();
      const missing: string[] = [];
      for (const t of tokens) {
        if (t.includes('*')) {
          const re = new RegExp('^' + t.split('*').map((x) => x.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
          for (const id of stored) if (re.test(id)) chosen.add(id);
        } else if (stored.includes(t)) chosen.add(t);
        else missing.push(t);
      }
      if (missing.length > 0) throw noSuchForecast(missing.join(','), jobId);
      targets = [...chosen];
    }
    if (targets.length === 0) {
      if (all && allowNoForecasts) return { acknowledged: true };
      throw noSuchForecast(expr ?? '_all', jobId);
    }
    await this.jobs.store.deleteForecasts(jobId, targets);
    return { acknowledged: true };
  }

  /** The job's forecasts (request-stats documents, oldest first), expired ones removed. */
  async list(jobId: string): Promise<ForecastStatsDoc[]> {
    await this.jobs.jobConfig(jobId);
    await this.sweep(jobId);
    return this.jobs.store.listForecasts([jobId]);
  }

  /** One forecast (the newest when no id is given): its request stats and a page of its documents. */
  async read(jobId: string, q: ForecastReadQuery): Promise<{ count: number; forecast: ForecastStatsDoc; model_forecast: ResultDoc[] }> {
    const list = await this.list(jobId);
    const stats = q.forecastId === undefined ? list[list.length - 1] : list.find((d) => d.forecast_id === q.forecastId);
    if (!stats) throw noSuchForecast(q.forecastId ?? '_all', jobId);
    const from = q.from ?? 0;
    const size = q.size ?? 10_000;
    if (from < 0 || size < 0) throw new VigilError('INVALID_ARGUMENT', `Parameter [${from < 0 ? 'from' : 'size'}] cannot be < 0`);
    if (from + size > 10_000) throw new VigilError('INVALID_ARGUMENT', 'Parameters [from] and [size] cannot together be more than 10000; filter by partition_field_value / by_field_value or page with start and end');
    const page: ResultPage = await this.jobs.store.queryForecast({
      jobId,
      forecastId: stats.forecast_id,
      start: q.start,
      end: q.end,
      detectorIndex: q.detectorIndex,
      partitionFieldValue: q.partitionFieldValue,
      byFieldValue: q.byFieldValue,
      from,
      size,
    });
    return { count: page.count, forecast: stats, model_forecast: page.docs };
  }

  /** Deletes the job's expired forecasts. */
  async sweep(jobId: string): Promise<void> {
    const now = this.jobs.now();
    const expired = (await this.jobs.store.listForecasts([jobId])).filter((d) => isForecastExpired(d, now)).map((d) => d.forecast_id);
    if (expired.length > 0) await this.jobs.store.deleteForecasts(jobId, expired);
  }
}
