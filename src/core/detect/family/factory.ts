/**
 * The factory every family detector registers: `create` completes the spec with its defaults;
 * `fromState` checks the saved state's type and version, then rebuilds the detector from the
 * context, spec and state it saved.
 */
import type { Detector, DetectorContext, DetectorFactory } from '../detector.js';
import { checkState } from '../../state.js';

export interface FamilyFactoryOptions<Spec, State> {
  type: string;
  /** Version of the detector's state (saved states of another version are refused). */
  version: number;
  description: string;
  /** Completes and validates a partial spec. */
  spec: (spec?: Partial<Spec>) => Spec;
  /** Makes the detector, new (no state) or restored. */
  make: (context: DetectorContext, spec: Spec, state?: State) => Detector;
}

/**
 * @example
 * export const stlResidualFactory = familyFactory<StlResidualSpec, StlState>({
 *   type: STL_RESIDUAL, version: VERSION, description: '…', spec: stlResidualSpec,
 *   make: (context, spec, state) => new StlResidualDetector(context, spec, state),
 * });
 */
export function familyFactory<Spec, State extends { context: DetectorContext }>(o: FamilyFactoryOptions<Spec, State>): DetectorFactory<Spec> {
  return {
    type: o.type,
    description: o.description,
    create(context, spec) {
      return o.make(context, o.spec(spec));
    },
    fromState(saved) {
      checkState(saved, o.type, o.version);
      const st = saved.state as State;
      return o.make(st.context, o.spec(saved.spec as Partial<Spec>), st);
    },
  };
}
