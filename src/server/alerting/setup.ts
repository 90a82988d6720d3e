/**
 * Alerting inside `vigil serve`: the AlertService on `<data_dir>/alerts`, fed by the job service's
 * results hook and its own timer, configured from the environment:
 *
 * - `VIGIL_PUBLIC_URL` — base URL in alert links (default: the URL the server listens on);
 * - `VIGIL_ALERT_LINK_TEMPLATE` — link pattern (default `{public_url}/app/#/jobs/{job_id}/viewer?time={time}`);
 * - `VIGIL_SMTP_URL` (`smtp://user:pass@host:587`, `smtps://…`) and `VIGIL_SMTP_FROM` — e-mail actions;
 * - `VIGIL_ALERT_TICK` — timer period for no_data rules and retries (default 5s).
 */
import { join } from 'node:path';
import { parseDuration } from '../../core/time/duration.js';
import { VigilError } from '../../core/errors.js';
import type { JobService } from '../jobs/job-service.js';
import { AlertService, type AlertServiceOptions } from './alert-service.js';
import type { DeliveryConfig } from './deliver.js';
import { jobServicePort } from './jobs-port.js';

export const ALERT_ENV_VARS = ['VIGIL_PUBLIC_URL', 'VIGIL_ALERT_LINK_TEMPLATE', 'VIGIL_SMTP_URL', 'VIGIL_SMTP_FROM', 'VIGIL_ALERT_TICK'];

export function deliveryFromEnv(env: Record<string, string | undefined>): DeliveryConfig {
  const d: DeliveryConfig = {};
  if (env.VIGIL_PUBLIC_URL) d.publicUrl = env.VIGIL_PUBLIC_URL;
  if (env.VIGIL_ALERT_LINK_TEMPLATE) d.linkTemplate = env.VIGIL_ALERT_LINK_TEMPLATE;
  if (env.VIGIL_SMTP_URL) {
    if (!env.VIGIL_SMTP_FROM) throw new VigilError('USAGE', 'VIGIL_SMTP_URL is set but VIGIL_SMTP_FROM (the sender of alert e-mails) is not');
    d.smtp = { url: env.VIGIL_SMTP_URL, from: env.VIGIL_SMTP_FROM };
  }
  return d;
}

/**
 * Starts alerting for a job service: opens the alert history in `<dataDir>/alerts`, resumes
 * deliveries left pending, registers the results hook and starts the timer.
 */
export async function startAlerting(o: {
  dataDir: string;
  service: JobService;
  env?: Record<string, string | undefined>;
  log?: AlertServiceOptions['log'];
  options?: Partial<AlertServiceOptions>;
}): Promise<AlertService> {
  const env = o.env ?? process.env;
  const tickMs = env.VIGIL_ALERT_TICK ? parseDuration(env.VIGIL_ALERT_TICK) : undefined;
  const alerts = await AlertService.open({
    dir: join(o.dataDir, 'alerts'),
    jobs: jobServicePort(o.service),
    delivery: deliveryFromEnv(env),
    ...(tickMs ? { tickMs } : {}),
    ...(o.log ? { log: o.log } : {}),
    ...o.options,
  });
  o.service.onResults((jobId) => alerts.notifyResults(jobId));
  return alerts;
}
