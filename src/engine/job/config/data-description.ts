/**
 * data_description: JSON input only, the time field and its format (epoch, epoch_ms or a Java
 * DateTimeFormatter pattern that must parse).
 */
import { makeTimestampParser } from '../../../core/time/parse-timestamp.js';
import { invalid } from '../job-error.js';
import { StrictReader, type JsonObject } from '../strict-reader.js';
import type { DataDescription } from './types.js';

export function parseDataDescription(body: JsonObject): DataDescription {
  const r = new StrictReader('data_description', body, ['format', 'time_field', 'time_format', 'field_delimiter', 'quote_character']);
  const format = r.string('format');
  if (format !== undefined && !['json', 'xcontent'].includes(format.toLowerCase())) {
    throw invalid(`Invalid data_description.format [${format}]: only JSON is supported (xcontent, json)`);
  }
  r.string('field_delimiter');
  r.string('quote_character');
  const timeField = r.string('time_field') ?? 'time';
  const timeFormat = r.string('time_format') ?? 'epoch';
  if (timeFormat !== 'epoch' && timeFormat !== 'epoch_ms') {
    try {
      makeTimestampParser(timeFormat, { timeZone: 'UTC' });
    } catch {
      throw invalid(`Invalid Time format string '${timeFormat}'`);
    }
  }
  return { time_field: timeField, time_format: timeFormat };
}
