/**
 * Versioned, serialisable model state. Every model's `toState()` returns a ModelState; restoring
 * refuses unknown types and versions with a clear error instead of guessing.
 */
import { VigilError } from './errors.js';

export interface ModelState<S = unknown, P = unknown> {
  type: string;
  version: number;
  spec: P;
  state: S;
}

/** Checks the envelope of a saved state before a model reads it. */
export function checkState(state: ModelState, type: string, version: number): void {
  if (!state || typeof state !== 'object') {
    throw new VigilError('STATE_TYPE', `expected a saved ${type} state, got ${typeof state}`);
  }
  if (state.type !== type) {
    throw new VigilError('STATE_TYPE', `saved state is of type [${state.type}], expected [${type}]`);
  }
  if (state.version !== version) {
    throw new VigilError('STATE_VERSION', `saved ${type} state has version ${state.version}; this Vigil reads version ${version}`);
  }
}

/** Typed arrays to plain arrays and back, so state survives JSON exactly (doubles print losslessly). */
export function packF64(a: Float64Array): number[] {
  return Array.from(a, (v) => (Number.isNaN(v) ? null : v)) as number[];
}

export function unpackF64(a: ReadonlyArray<number | null>): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] === null ? NaN : (a[i] as number);
  return out;
}
