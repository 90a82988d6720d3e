/**
 * Where things happen (Elastic's `lat_long`): a small online Gaussian mixture over locations.
 * Points are projected to kilometres around the first point (equirectangular, good over the
 * distances that matter), each component keeps a decayed weight, a mean and an isotropic variance
 * (at least `minRadiusKm`²). A point joins the nearest component within 3σ, else starts a new
 * one (up to `maxComponents`; then the two closest merge). A point's probability is the mixture's
 * chance of a point at least that far out, Σ πₖ·exp(−dₖ²/2) (the χ² tail with two degrees of
 * freedom), plus a little mass for anywhere. Each bucket is scored by its most unusual point.
 */
import { SurpriseCalibrator, scoreFromSurprise, type CalibratorState } from '../../score/calibrator.js';
import { checkState, type ModelState } from '../../state.js';

const TYPE = 'lat_long';
const VERSION = 1;
const KM_PER_DEG = 111.32;

export interface GeoSpec {
  maxComponents: number;
  minRadiusKm: number;
  halfLifeBuckets: number;
  minPoints: number;
  minBuckets: number;
}

export const GEO_DEFAULTS: GeoSpec = { maxComponents: 8, minRadiusKm: 5, halfLifeBuckets: 2000, minPoints: 20, minBuckets: 5 };

export interface GeoScore {
  probability: number;
  score: number;
  actual: [number, number];
  typical: [number, number];
}

export function newGeoScore(): GeoScore {
  return { probability: 1, score: 0, actual: [NaN, NaN], typical: [NaN, NaN] };
}

interface Component {
  w: number;
  x: number;
  y: number;
  v: number;
}

interface GeoStateBody {
  origin: [number, number] | null;
  comps: Component[];
  points: number;
  buckets: number;
  cal: CalibratorState;
}

/** Reads a geo point as Elastic accepts it: "lat,lon", {lat, lon}, or [lon, lat]; null otherwise. */
export function parseGeoPoint(v: unknown): [number, number] | null {
  let lat = NaN;
  let lon = NaN;
  if (typeof v === 'string') {
    const i = v.indexOf(',');
    if (i < 0) return null;
    lat = Number(v.slice(0, i));
    lon = Number(v.slice(i + 1));
  } else if (Array.isArray(v) && v.length >= 2) {
    lon = Number(v[0]);
    lat = Number(v[1]);
  } else if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    lat = Number(o.lat);
    lon = Number(o.lon);
  }
  if (!(lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180)) return null;
  return [lat, lon];
}

export class GeoModel {
  readonly spec: GeoSpec;
  private origin: [number, number] | null = null;
  private comps: Component[] = [];
  private points = 0;
  private buckets = 0;
  private readonly decay: number;
  private calibrator = new SurpriseCalibrator({ halfLife: 50_000 });

  constructor(spec: Partial<GeoSpec> = {}) {
    this.spec = { ...GEO_DEFAULTS, ...spec };
    this.decay = Math.exp(-Math.LN2 / this.spec.halfLifeBuckets);
  }

  get warm(): boolean {
    return this.points >= this.spec.minPoints && this.buckets >= this.spec.minBuckets;
  }

  private project(lat: number, lon: number): [number, number] {
    const o = this.origin ?? [lat, lon];
    let dLon = lon - o[1];
    if (dLon > 180) dLon -= 360;
    if (dLon < -180) dLon += 360;
    return [dLon * KM_PER_DEG * Math.cos((o[0] * Math.PI) / 180), (lat - o[0]) * KM_PER_DEG];
  }

  private unproject(x: number, y: number): [number, number] {
    const o = this.origin ?? [0, 0];
    const lat = o[0] + y / KM_PER_DEG;
    let lon = o[1] + x / (KM_PER_DEG * Math.max(1e-6, Math.cos((o[0] * Math.PI) / 180)));
    if (lon > 180) lon -= 360;
    if (lon < -180) lon += 360;
    return [round6(lat), round6(lon)];
  }

  private probabilityAt(x: number, y: number): { p: number; nearest: number } {
    let total = 0;
    for (const c of this.comps) total += c.w;
    let p = 1e-9;
    let nearest = -1;
    let best = Infinity;
    for (let k = 0; k < this.comps.length; k++) {
      const c = this.comps[k];
      const d2 = ((x - c.x) ** 2 + (y - c.y) ** 2) / c.v;
      p += (c.w / total) * Math.exp(-d2 / 2);
      if (d2 < best) {
        best = d2;
        nearest = k;
      }
    }
    return { p: Math.min(1, p), nearest };
  }

  /** Scores a bucket's points ([lat, lon, lat, lon, …]); the most unusual one decides. */
  score(points: ArrayLike<number>, out: GeoScore): void {
    out.probability = 1;
    out.score = 0;
    let worst = Infinity;
    for (let i = 0; i + 1 < points.length; i += 2) {
      const [x, y] = this.project(points[i], points[i + 1]);
      const { p, nearest } = this.comps.length ? this.probabilityAt(x, y) : { p: 1, nearest: -1 };
      if (p < worst) {
        worst = p;
        out.actual = [points[i], points[i + 1]];
        if (nearest >= 0) out.typical = this.unproject(this.comps[nearest].x, this.comps[nearest].y);
        else out.typical = [points[i], points[i + 1]];
      }
    }
    if (!this.warm || !(worst < 1)) return;
    out.probability = worst;
    out.score = scoreFromSurprise(this.calibrator.calibrate(-Math.log(worst)));
  }

  /** Learns a bucket's points. */
  learn(points: ArrayLike<number>): void {
    this.buckets++;
    for (const c of this.comps) c.w *= this.decay;
    const minVar = this.spec.minRadiusKm ** 2;
    for (let i = 0; i + 1 < points.length; i += 2) {
      if (!this.origin) this.origin = [points[i], points[i + 1]];
      const [x, y] = this.project(points[i], points[i + 1]);
      this.points++;
      let k = -1;
      let best = Infinity;
      for (let j = 0; j < this.comps.length; j++) {
        const c = this.comps[j];
        const d2 = ((x - c.x) ** 2 + (y - c.y) ** 2) / c.v;
        if (d2 < best) {
          best = d2;
          k = j;
        }
      }
      if (k < 0 || best > 9) {
        this.comps.push({ w: 1, x, y, v: minVar });
        if (this.comps.length > this.spec.maxComponents) this.mergeClosest();
        continue;
      }
      const c = this.comps[k];
      c.w += 1;
      const a = 1 / c.w;
      const dx = x - c.x;
      const dy = y - c.y;
      c.x += a * dx;
      c.y += a * dy;
      c.v = Math.max(minVar, (1 - a) * c.v + a * 0.5 * (dx * dx + dy * dy));
    }
  }

  private mergeClosest(): void {
    let bi = 0;
    let bj = 1;
    let best = Infinity;
    for (let i = 0; i < this.comps.length; i++) {
      for (let j = i + 1; j < this.comps.length; j++) {
        const a = this.comps[i];
        const b = this.comps[j];
        const d = (a.x - b.x) ** 2 + (a.y - b.y) ** 2;
        if (d < best) {
          best = d;
          bi = i;
          bj = j;
        }
      }
    }
    const a = this.comps[bi];
    const b = this.comps[bj];
    const w = a.w + b.w;
    const x = (a.w * a.x + b.w * b.x) / w;
    const y = (a.w * a.y + b.w * b.y) / w;
    const v = (a.w * (a.v + (a.x - x) ** 2 + (a.y - y) ** 2) + b.w * (b.v + (b.x - x) ** 2 + (b.y - y) ** 2)) / w;
    this.comps[bi] = { w, x, y, v };
    this.comps.splice(bj, 1);
  }

  memoryBytes(): number {
    return 300 + this.comps.length * 48 + this.calibrator.hist.byteLength;
  }

  toState(): ModelState<GeoStateBody, GeoSpec> {
    return {
      type: TYPE,
      version: VERSION,
      spec: { ...this.spec },
      state: {
        origin: this.origin,
        comps: this.comps.map((c) => ({ ...c })),
        points: this.points,
        buckets: this.buckets,
        cal: this.calibrator.toState(),
      },
    };
  }

  static fromState(state: ModelState): GeoModel {
    checkState(state, TYPE, VERSION);
    const s = state as ModelState<GeoStateBody, GeoSpec>;
    const m = new GeoModel(s.spec);
    m.origin = s.state.origin;
    m.comps = s.state.comps.map((c) => ({ ...c }));
    m.points = s.state.points;
    m.buckets = s.state.buckets;
    m.calibrator = SurpriseCalibrator.fromState(s.state.cal, { halfLife: 50_000 });
    return m;
  }
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
