/**
 * analysis_limits: model_memory_limit (whole MiB, Elastic's default and the node's maximum) and
 * categorization_examples_limit, with Elastic's messages.
 */
import { invalid, parseError } from '../job-error.js';
import { StrictReader, type JsonObject } from '../strict-reader.js';
import { parseByteSize } from '../units.js';
import { MIB, checkNotLessThan } from './checks.js';
import type { AnalysisLimits, ValidateJobOptions } from './types.js';

export function parseAnalysisLimits(body: JsonObject | undefined, options: ValidateJobOptions): AnalysisLimits {
  const maxMb = options.maxModelMemoryLimit === undefined ? undefined : memoryLimitMb(options.maxModelMemoryLimit);
  const defaultMb = maxMb !== undefined && maxMb > 0 && maxMb < 1024 ? maxMb : 1024;
  let mb = defaultMb;
  let examples = 4;
  if (body) {
    const r = new StrictReader('analysis_limits', body, ['model_memory_limit', 'categorization_examples_limit']);
    const raw = r.raw('model_memory_limit');
    if (raw !== undefined && raw !== null) {
      if (typeof raw !== 'string' && typeof raw !== 'number') {
        throw parseError('[analysis_limits] failed to parse field [model_memory_limit]', {
          type: 'illegal_argument_exception',
          reason: `Unsupported token [${Array.isArray(raw) ? 'START_ARRAY' : 'START_OBJECT'}]`,
        });
      }
      mb = memoryLimitMb(raw);
      if (mb < 1) throw invalid(`model_memory_limit must be at least 1 MiB. Value = ${mb}`);
      if (maxMb !== undefined && maxMb > 0 && mb > maxMb) {
        throw invalid(`model_memory_limit [${mb}mb] must be less than the value of the xpack.ml.max_model_memory_limit setting [${maxMb}mb]`);
      }
    }
    const ex = r.long('categorization_examples_limit');
    if (ex !== undefined) {
      checkNotLessThan(0, 'categorization_examples_limit', ex);
      examples = ex;
    }
  }
  return { model_memory_limit: `${mb}mb`, categorization_examples_limit: examples };
}

/** A model_memory_limit in whole MiB (numbers are MiB; byte sizes round down to MiB). */
function memoryLimitMb(v: string | number): number {
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw invalid(`model_memory_limit must be a whole number of MiB; got [${v}]`);
    return v;
  }
  if (/^\s*-?\d+\s*$/.test(v)) return Number(v);
  const bytes = parseByteSize(v, 'model_memory_limit');
  return bytes < 0 ? bytes : Math.floor(bytes / MIB);
}
