/** Elastic's `_flush` parameters: reading the times and checking they fit together, with Elastic's messages. */
import { invalid } from '../job-error.js';
import { readTimeParam } from '../time-reader.js';

/** Elastic's `_flush` parameters; times are epoch ms (numbers or numeric text) or ISO 8601. */
export interface FlushOptions {
  calcInterim?: boolean;
  start?: number | string;
  end?: number | string;
  advanceTime?: number | string;
  skipTime?: number | string;
}

export interface FlushResult {
  flushed: true;
  /** End of the last final bucket, epoch ms (0 before any). */
  last_finalized_bucket_end: number;
}

/** The flush's times, epoch ms. */
export interface FlushTimes {
  start?: number;
  end?: number;
  advance?: number;
  skip?: number;
}

/** @throws JobConfigError with Elastic's messages for unreadable times and inconsistent parameters. */
export function readFlushTimes(options: FlushOptions): FlushTimes {
  const start = options.start === undefined ? undefined : timeParam(options.start, 'start');
  const end = options.end === undefined ? undefined : timeParam(options.end, 'end');
  const advance = options.advanceTime === undefined ? undefined : timeParam(options.advanceTime, 'advance_time');
  const skip = options.skipTime === undefined ? undefined : timeParam(options.skipTime, 'skip_time');
  if (!options.calcInterim) {
    if (start !== undefined) throw invalid("Invalid flush parameters: unexpected 'start'.");
    if (end !== undefined) throw invalid("Invalid flush parameters: unexpected 'end'.");
  } else if (start === undefined && end !== undefined) {
    throw invalid("Invalid flush parameters: 'start' has not been specified.");
  }
  if (start !== undefined && end !== undefined && end < start) {
    throw invalid(`Invalid time range: end time '${end}' is earlier than start time '${start}'.`);
  }
  return { start, end, advance, skip };
}

function timeParam(v: number | string, name: string): number {
  const t = readTimeParam(v);
  if (Number.isNaN(t)) throw invalid(`Query param [${name}] with value [${String(v)}] cannot be parsed as a date or converted to a number (epoch).`);
  return t;
}
