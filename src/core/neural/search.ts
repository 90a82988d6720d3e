/**
 * Hyperparameter search over a categorical space: the first trial is the spec's defaults, the next
 * ones are drawn at random, and from the fourth on (with `search: 'tpe'`) a Parzen-estimator
 * sampler in the spirit of TPE proposes them: the trials so far are split into the best third and
 * the rest, each dimension's choices get smoothed frequencies in both groups, and of 24 candidates
 * drawn from the good group's frequencies the one with the largest good/bad likelihood ratio is
 * tried. Everything is seeded; a configuration is never tried twice while an untried one remains.
 */
import { Random } from '../random.js';
import type { HyperParams, SearchSpace } from './spec.js';

const RECURRENT = (k: string): boolean => k === 'gru' || k === 'lstm';

/** The concrete choices per dimension once data limits are known. */
export interface Choices {
  kinds: HyperParams['kind'][];
  /** Index choices for window and units: the value depends on the kind. */
  windowIdx: number[];
  unitsIdx: number[];
  layers: number[];
  learningRates: number[];
  batchSizes: number[];
  anchors: boolean[];
  seasonalLags: number[];
}

export function choicesOf(space: SearchSpace, lags: number[]): Choices {
  const nw = Math.max(space.windows.length, space.recurrentWindows.length);
  const nu = Math.max(space.units.length, space.recurrentUnits.length);
  return {
    kinds: [...space.kinds],
    windowIdx: Array.from({ length: nw }, (_, i) => i),
    unitsIdx: Array.from({ length: nu }, (_, i) => i),
    layers: [...space.layers],
    learningRates: [...space.learningRates],
    batchSizes: [...space.batchSizes],
    anchors: [...space.anchors],
    seasonalLags: [0, ...lags.filter((l) => l > 0)],
  };
}

interface Point {
  kind: number;
  windowIdx: number;
  unitsIdx: number;
  layers: number;
  learningRate: number;
  batchSize: number;
  anchor: number;
  seasonalLag: number;
}
type Dim = keyof Point;
const DIMS: Dim[] = ['kind', 'windowIdx', 'unitsIdx', 'layers', 'learningRate', 'batchSize', 'anchor', 'seasonalLag'];

function sizes(c: Choices): Record<Dim, number> {
  return {
    kind: c.kinds.length,
    windowIdx: c.windowIdx.length,
    unitsIdx: c.unitsIdx.length,
    layers: c.layers.length,
    learningRate: c.learningRates.length,
    batchSize: c.batchSizes.length,
    anchor: c.anchors.length,
    seasonalLag: c.seasonalLags.length,
  };
}

const pick = <T>(list: T[], i: number): T => list[Math.min(i, list.length - 1)];

export function toHyperParams(p: Point, c: Choices, space: SearchSpace): HyperParams {
  const kind = c.kinds[p.kind];
  const rec = RECURRENT(kind);
  return {
    kind,
    window: pick(rec ? space.recurrentWindows : space.windows, p.windowIdx),
    units: pick(rec ? space.recurrentUnits : space.units, p.unitsIdx),
    layers: rec ? pick(space.recurrentLayers, p.layers) : c.layers[p.layers],
    learningRate: c.learningRates[p.learningRate],
    batchSize: c.batchSizes[p.batchSize],
    anchor: c.anchors[p.anchor],
    seasonalLag: c.seasonalLags[p.seasonalLag],
  };
}

/** The point of a hyperparameter set, dimension by dimension (-1 where the value is not a choice). */
function pointOf(hp: HyperParams, c: Choices, space: SearchSpace): Point {
  const rec = RECURRENT(hp.kind);
  return {
    kind: c.kinds.indexOf(hp.kind),
    windowIdx: (rec ? space.recurrentWindows : space.windows).indexOf(hp.window),
    unitsIdx: (rec ? space.recurrentUnits : space.units).indexOf(hp.units),
    layers: rec ? space.recurrentLayers.indexOf(hp.layers) : c.layers.indexOf(hp.layers),
    learningRate: c.learningRates.indexOf(hp.learningRate),
    batchSize: c.batchSizes.indexOf(hp.batchSize),
    anchor: c.anchors.indexOf(hp.anchor),
    seasonalLag: c.seasonalLags.indexOf(hp.seasonalLag),
  };
}

export const keyOf = (hp: HyperParams): string => JSON.stringify([hp.kind, hp.window, hp.units, hp.layers, hp.learningRate, hp.batchSize, hp.anchor, hp.seasonalLag]);

export interface Observation {
  params: HyperParams;
  /** Validation loss (lower is better); NaN/Infinity for a failed trial. */
  score: number;
}

export class Sampler {
  private readonly rng: Random;
  private readonly size: Record<Dim, number>;

  constructor(
    private readonly space: SearchSpace,
    private readonly choices: Choices,
    seed: number,
    private readonly mode: 'tpe' | 'random',
    private readonly startup = 3,
  ) {
    this.rng = new Random(seed ^ 0x7e5);
    this.size = sizes(choices);
  }

  private randomPoint(): Point {
    const p = {} as Point;
    for (const d of DIMS) p[d] = Math.floor(this.rng.next() * this.size[d]);
    return p;
  }

  /** Proposes the next trial given what was observed. */
  next(history: Observation[]): HyperParams {
    const tried = new Set(history.map((h) => keyOf(h.params)));
    const fresh = (p: Point): boolean => !tried.has(keyOf(toHyperParams(p, this.choices, this.space)));
    const scored = history.filter((h) => Number.isFinite(h.score));
    if (this.mode === 'random' || scored.length < this.startup) {
      for (let a = 0; a < 200; a++) {
        const p = this.randomPoint();
        if (fresh(p)) return toHyperParams(p, this.choices, this.space);
      }
      return toHyperParams(this.randomPoint(), this.choices, this.space);
    }
    const sorted = [...scored].sort((a, b) => a.score - b.score);
    const nGood = Math.max(1, Math.ceil(sorted.length / 3));
    const good = sorted.slice(0, nGood).map((h) => pointOf(h.params, this.choices, this.space));
    const bad = sorted.slice(nGood).concat(history.filter((h) => !Number.isFinite(h.score))).map((h) => pointOf(h.params, this.choices, this.space));
    const freq = (pts: Point[], d: Dim): Float64Array => {
      const k = this.size[d];
      const f = new Float64Array(k).fill(1); // add-one smoothing
      for (const p of pts) if (p[d] >= 0) f[p[d]] += 1;
      let s = 0;
      for (let i = 0; i < k; i++) s += f[i];
      for (let i = 0; i < k; i++) f[i] /= s;
      return f;
    };
    const fg = {} as Record<Dim, Float64Array>;
    const fb = {} as Record<Dim, Float64Array>;
    for (const d of DIMS) {
      fg[d] = freq(good, d);
      fb[d] = freq(bad, d);
    }
    const draw = (f: Float64Array): number => {
      let u = this.rng.next();
      for (let i = 0; i < f.length; i++) {
        u -= f[i];
        if (u < 0) return i;
      }
      return f.length - 1;
    };
    let best: Point | null = null;
    let bestRatio = -Infinity;
    for (let c = 0; c < 24; c++) {
      const p = {} as Point;
      let ratio = 0;
      for (const d of DIMS) {
        p[d] = draw(fg[d]);
        ratio += Math.log(fg[d][p[d]]) - Math.log(fb[d][p[d]]);
      }
      if (fresh(p) && ratio > bestRatio) {
        best = p;
        bestRatio = ratio;
      }
    }
    if (best) return toHyperParams(best, this.choices, this.space);
    for (let a = 0; a < 200; a++) {
      const p = this.randomPoint();
      if (fresh(p)) return toHyperParams(p, this.choices, this.space);
    }
    return toHyperParams(this.randomPoint(), this.choices, this.space);
  }
}
