/** model_plot_config: `enabled` is required; annotations follow it unless given; optional terms. */
import { parseError } from '../job-error.js';
import { StrictReader, type JsonObject } from '../strict-reader.js';
import type { ModelPlotConfig } from './types.js';

export function parseModelPlotConfig(body: JsonObject): ModelPlotConfig {
  const r = new StrictReader('model_plot_config', body, ['enabled', 'terms', 'annotations_enabled']);
  const enabled = r.bool('enabled');
  if (enabled === undefined) throw parseError('[model_plot_config] Required [enabled]');
  const out: ModelPlotConfig = { enabled, annotations_enabled: r.bool('annotations_enabled') ?? enabled };
  const terms = r.string('terms');
  if (terms !== undefined) out.terms = terms;
  return out;
}
