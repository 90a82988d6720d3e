/** A model change (seasonality added or removed, level shift, trend change) as Elastic's model_change annotation. */
import type { JobConfig } from '../config.js';
import type { AnnotationDoc } from '../controls.js';
import type { ModelChange } from '../detector-runner.js';

/** The annotation of change `c` seen by detector `detector` in `bucket`, made at wall time `now`. */
export function modelChangeAnnotation(config: JobConfig, detector: number, bucket: number, spanMs: number, c: ModelChange, now: number): AnnotationDoc {
  const d = config.analysis_config.detectors[detector];
  const doc: AnnotationDoc = {
    job_id: config.job_id,
    type: 'annotation',
    event: 'model_change',
    annotation: c.text,
    timestamp: bucket,
    end_timestamp: bucket + spanMs,
    detector_index: detector,
    create_time: now,
    create_username: '_xpack',
    modified_time: now,
    modified_username: '_xpack',
    result_type: 'annotation',
  };
  if (d.partition_field_name !== undefined && c.partition !== null) {
    doc.partition_field_name = d.partition_field_name;
    doc.partition_field_value = c.partition;
  }
  if (d.by_field_name !== undefined && c.by !== null) {
    doc.by_field_name = d.by_field_name;
    doc.by_field_value = c.by;
  }
  return doc;
}
