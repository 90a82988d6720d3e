/**
 * A stand-in for the jobs server's forecast routes, for the UI's browser test until the real
 * `_forecast` route lands: Elastic's `POST _ml/anomaly_detectors/<id>/_forecast` (the engine's
 * runJobForecast over the job's model-plot history) and a read route for the `model_forecast`
 * documents. Test-only; the UI finds whichever forecast routes the server lists in its OpenAPI.
 */
import { Type } from '@sinclair/typebox';
import { runJobForecast, type EntityHistory, type ModelForecastDoc } from '../../../engine/forecast/index.js';
import type { JobService } from '../../jobs/job-service.js';
import type { RouteSpec } from '../../route-spec.js';

export function forecastStandInRoutes(service: JobService): RouteSpec[] {
  const results = new Map<string, ModelForecastDoc[]>();
  const D = '/_ml/anomaly_detectors';
  return [
    {
      method: 'POST',
      url: `${D}/:job_id/_forecast`,
      operationId: 'ml.forecast',
      tag: 'elastic',
      summary: 'Test stand-in: forecast a job.',
      params: Type.Object({ job_id: Type.String() }),
      body: Type.Object({ duration: Type.Optional(Type.String()) }, { additionalProperties: true }),
      handler: async (req) => {
        const jobId = (req.params as { job_id: string }).job_id;
        const job = (await service.getJobs(jobId, false))[0] as unknown as Parameters<typeof runJobForecast>[0]['job'];
        const byEntity = new Map<string, { h: EntityHistory; time: number[]; value: number[] }>();
        let start: number | undefined;
        for (;;) {
          const page = await service.store.queryResults({ jobIds: [jobId], resultType: 'model_plot', start, sort: 'timestamp', desc: false, from: 0, size: 10_000 });
          for (const d of page.docs) {
            const k = `${d.detector_index}\u0001${d.partition_field_value ?? ''}\u0001${d.by_field_value ?? ''}`;
            let e = byEntity.get(k);
            if (!e) {
              e = { time: [], value: [], h: { detector_index: Number(d.detector_index ?? 0), partition_field_value: (d.partition_field_value as string) ?? null, by_field_value: (d.by_field_value as string) ?? null, time: [], value: [] } };
              byEntity.set(k, e);
            }
            e.time.push(d.timestamp);
            e.value.push(Number(d.actual));
          }
          if (page.docs.length < 10_000) break;
          start = page.docs[page.docs.length - 1].timestamp + 1;
        }
        const histories = [...byEntity.values()].map((e) => ({ ...e.h, time: e.time, value: e.value }));
        const run = runJobForecast({ job, request: req.body as { duration?: string }, histories, now: Date.now() });
        results.set(run.response.forecast_id, run.results);
        return run.response;
      },
    },
    {
      method: 'GET',
      url: `${D}/:job_id/results/model_forecast`,
      operationId: 'vigil.test_get_model_forecast',
      tag: 'vigil',
      summary: 'Test stand-in: model_forecast documents of a forecast.',
      params: Type.Object({ job_id: Type.String() }),
      querystring: Type.Object({ forecast_id: Type.String() }),
      handler: async (req) => {
        const docs = results.get((req.query as { forecast_id: string }).forecast_id) ?? [];
        return { count: docs.length, model_forecast: docs };
      },
    },
  ];
}
