/**
 * The detectors Vigil knows, by type name. Each detector module registers its factory here; the CLI
 * (`--detector`), evaluation (`--all`) and later the jobs service look them up by name.
 */
import { VigilError } from '../errors.js';
import type { ModelState } from '../state.js';
import type { Detector, DetectorContext, DetectorFactory } from './detector.js';

/**
 * The detector used when none is named (`vigil detect`, `vigil eval`, jobs' series models): `auto`,
 * the point model plus the matrix-profile shape detector, measured best (docs/evaluation.md).
 * Registered by ./all.js, which every caller that names no detector imports.
 */
export const DEFAULT_DETECTOR = 'auto';

const factories = new Map<string, DetectorFactory<any>>();

export function registerDetector(factory: DetectorFactory<any>): void {
  factories.set(factory.type, factory);
}

export function getDetectorFactory(type: string): DetectorFactory<any> {
  const f = factories.get(type);
  if (!f) {
    throw new VigilError('UNKNOWN_DETECTOR', `unknown detector [${type}]; known: ${[...factories.keys()].join(', ')}`);
  }
  return f;
}

export function listDetectors(): DetectorFactory<any>[] {
  return [...factories.values()];
}

export function createDetector(type: string, context: DetectorContext, spec?: Record<string, unknown>): Detector {
  return getDetectorFactory(type).create(context, spec);
}

export function restoreDetector(state: ModelState): Detector {
  return getDetectorFactory(state.type).fromState(state);
}
