/**
 * The identity of a results document: two documents with the same id are the same result (a final
 * bucket replaces its interim version, a renormalised record replaces its earlier scores, a replay
 * after a crash rewrites what it already wrote). Modelled on Elastic's result document ids.
 */
import type { ResultDoc } from './store.js';

const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

export function resultId(doc: ResultDoc): string {
  const base = `${doc.job_id}_${doc.result_type}_${doc.timestamp}_${str(doc.bucket_span)}`;
  switch (doc.result_type) {
    case 'bucket':
      return base;
    case 'record':
    case 'model_plot':
      return [
        base,
        str(doc.detector_index),
        str(doc.partition_field_value),
        str(doc.by_field_value),
        str(doc.over_field_value),
        doc.result_type === 'model_plot' ? str(doc.model_feature) : str(doc.function),
      ].join('\u0001');
    case 'influencer':
      return [base, str(doc.influencer_field_name), str(doc.influencer_field_value)].join('\u0001');
    default:
      return [base, JSON.stringify(doc)].join('\u0001');
  }
}
