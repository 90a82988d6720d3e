/**
 * Forecast expiry (`expires_in` of `_forecast`): a forecast whose expiry time has passed is gone —
 * never listed, counted or read — and its documents are deleted from the store at the next forecast
 * call that touches the job (Elastic deletes them in its nightly maintenance). `expires_in: 0`
 * keeps a forecast until it is deleted (Elastic writes an expiry at or before the create time then).
 */
import type { ForecastStatsDoc } from '../../store/store.js';

/** True when the forecast's expiry time has passed at `now` (epoch ms). */
export function isForecastExpired(stats: ForecastStatsDoc, now: number): boolean {
  const expiry = Number(stats.forecast_expiry_timestamp);
  const created = Number(stats.forecast_create_timestamp);
  if (!Number.isFinite(expiry) || (Number.isFinite(created) && expiry <= created)) return false;
  return expiry <= now;
}

/** The forecasts that have not expired, by job id. */
export function liveForecasts(docs: ForecastStatsDoc[], now: number): Map<string, ForecastStatsDoc[]> {
  const out = new Map<string, ForecastStatsDoc[]>();
  for (const d of docs) {
    if (isForecastExpired(d, now)) continue;
    const list = out.get(d.job_id);
    if (list) list.push(d);
    else out.set(d.job_id, [d]);
  }
  return out;
}
