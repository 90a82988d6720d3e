/**
 * The population shape (over_field_name, every family but rare): one model per (partition, by)
 * group learns the bucket values (or events) of all its over members; each member's bucket is
 * scored against it. A member's record gathers its anomalous causes across by values, the most
 * anomalous first. Members in the scope of a skip_model_update rule are left out of the learning.
 */
import { newOutput, type DetectorOutput } from '../../../core/detect/detector.js';
import { PopulationModel, newPopulationScore } from '../../../core/detect/population/population-model.js';
import type { BucketControl, BucketOutput, RecordInput } from '../detector-runner.js';
import type { AnomalyCause } from '../results.js';
import { SlotAcc } from '../slot-acc.js';
import { impactOf, influencesOf, plotAllowed, plotDoc, recordDoc } from './documents.js';
import { eventInput, newEventModel, scoreEvents, type EventModel, type EventScore } from './event-models.js';
import { featureValue, mainFeature } from './features.js';
import { GroupRunner } from './group-runner.js';
import type { Group } from './group-table.js';
import { copyModel } from './models.js';
import type { AccFor, RunnerKit } from './runner-kit.js';

type PopulationGroupModel = PopulationModel | EventModel;

/** A member's bucket scored against its group's model. */
interface MemberScore extends EventScore {
  plot?: DetectorOutput;
}

export class PopulationRunner extends GroupRunner<PopulationGroupModel> {
  /** The feature the population model learns (the mean for `metric`). */
  private readonly feature: number;

  constructor(kit: RunnerKit) {
    super(kit);
    this.feature = mainFeature(kit.features);
  }

  protected newModel(): PopulationGroupModel {
    const info = this.kit.info;
    if (info.family === 'time' || info.family === 'lat_long') return newEventModel(info);
    const f = this.kit.features[this.feature].fn;
    return new PopulationModel({ side: f.side, isCount: f.isCount || info.family === 'info_content' });
  }

  add(r: RecordInput, partition: string | null, by: string | null): boolean {
    return this.kit.addValue(r, partition, by, this.memberAcc);
  }

  /** The over member's accumulator in its (partition, by) group. */
  private readonly memberAcc: AccFor = (r, partition, by) => {
    const over = this.kit.overOf(r);
    if (over === undefined) return null;
    return this.table.memberAcc(partition, by, over, r.bucket);
  };

  finish(bucket: number, _slot: number, interim: boolean, pruneBefore: number, out: BucketOutput, ctl: BucketControl): void {
    const kit = this.kit;
    const config = kit.config;
    // causes per over member, across the (partition, by) groups
    const byMember = new Map<string, { partition: string | null; causes: { cause: AnomalyCause; raw: number }[]; accs: SlotAcc[] }>();
    for (const g of this.table.live(interim, pruneBefore)) {
      const members = g.open.get(bucket);
      if (interim && !members) continue;
      const model = interim ? copyModel(g.model) : g.model;
      const notLearned = new Set<string>();
      if (members) {
        for (const [member, acc] of members) {
          const scored = this.scoreMember(model, acc, ctl.shiftMs);
          if (ctl.skipUpdate !== null && ctl.skipUpdate({ partition: g.partition, by: g.by, over: member }, scored.actual[0], scored.typical[0])) notLearned.add(member);
          if (kit.env.modelPlot.enabled && scored.plot && plotAllowed(kit, g.partition, g.by)) {
            out.plots.push(plotDoc(kit, bucket, g.partition, g.by, member, kit.functionDescription, scored.plot, scored.actual[0], interim));
          }
          if (scored.raw > 0) {
            const cause: AnomalyCause = {
              probability: scored.probability,
              function: kit.info.name,
              function_description: kit.functionDescription,
            };
            if (config.field_name !== undefined) cause.field_name = config.field_name;
            if (config.by_field_name !== undefined && g.by !== null) {
              cause.by_field_name = config.by_field_name;
              cause.by_field_value = g.by;
            }
            cause.over_field_name = config.over_field_name;
            cause.over_field_value = member;
            if (config.partition_field_name !== undefined && g.partition !== null) {
              cause.partition_field_name = config.partition_field_name;
              cause.partition_field_value = g.partition;
            }
            cause.typical = scored.typical;
            cause.actual = scored.actual;
            if (scored.geo) cause.geo_results = scored.geo;
            const mkey = g.partition === null ? member : `${g.partition}\u0001${member}`;
            let m = byMember.get(mkey);
            if (!m) {
              m = { partition: g.partition, causes: [], accs: [] };
              byMember.set(mkey, m);
            }
            m.causes.push({ cause, raw: scored.raw });
            m.accs.push(acc);
          }
        }
      }
      if (!interim) {
        if (!ctl.skipModelUpdate) this.learnGroup(g, members && notLearned.size ? new Map([...members].filter(([k]) => !notLearned.has(k))) : members, ctl.shiftMs);
        g.open.delete(bucket);
      }
    }
    for (const m of byMember.values()) {
      m.causes.sort((a, b) => b.raw - a.raw || a.cause.probability - b.cause.probability);
      const top = m.causes[0];
      const member = top.cause.over_field_value as string;
      const doc = recordDoc(kit, bucket, interim, top.cause.probability, m.partition, null, member);
      doc.causes = m.causes.map((c) => c.cause);
      if (config.by_field_name === undefined) {
        doc.actual = top.cause.actual;
        doc.typical = top.cause.typical;
        if (top.cause.geo_results) doc.geo_results = top.cause.geo_results;
      }
      doc.multi_bucket_impact = -5;
      doc.anomaly_score_explanation = {
        anomaly_type: (top.cause.actual?.[0] ?? 0) >= (top.cause.typical?.[0] ?? 0) ? 'spike' : 'dip',
        anomaly_length: 1,
        single_bucket_impact: impactOf(top.cause.probability),
        multi_bucket_impact: 0,
        high_variance_penalty: false,
        incomplete_bucket_penalty: false,
      };
      out.records.push({ doc, raw: top.raw, influences: influencesOf(kit, mergeAccs(m.accs), m.partition, null, member) });
    }
    if (!interim) this.table.pruneOver(pruneBefore);
  }

  private scoreMember(model: PopulationGroupModel, acc: SlotAcc, shiftMs: number): MemberScore {
    if (!(model instanceof PopulationModel)) return scoreEvents(model, eventInput(model, acc.points ?? [], shiftMs));
    const x = featureValue(acc, this.kit.features[this.feature].fn, this.kit.info.family);
    const ps = newPopulationScore();
    model.score(x, ps);
    const plot: DetectorOutput = { ...newOutput(), typical: ps.typical, lower: ps.lower, upper: ps.upper };
    return { raw: ps.score, probability: ps.probability, actual: [x], typical: [ps.typical], plot };
  }

  private learnGroup(g: Group<PopulationGroupModel>, members: Map<string, SlotAcc> | undefined, shiftMs: number): void {
    const model = g.model;
    if (model instanceof PopulationModel) {
      const feature = this.kit.features[this.feature];
      const values: number[] = [];
      if (members) for (const acc of members.values()) values.push(featureValue(acc, feature.fn, this.kit.info.family));
      model.learn(values);
    } else {
      const pts: number[] = [];
      if (members) for (const acc of members.values()) if (acc.points) pts.push(...acc.points);
      model.learn(eventInput(model, pts, shiftMs));
    }
  }
}

/** One accumulator with the influencer values of several (a member's causes across groups). */
function mergeAccs(accs: SlotAcc[]): SlotAcc | undefined {
  if (accs.length <= 1) return accs[0];
  const m = new SlotAcc();
  for (const a of accs) {
    if (!a.influence) continue;
    a.influence.forEach((map, i) => {
      for (const [v, w] of map) m.addInfluence(i, a.influence!.length, v, w);
    });
  }
  return m;
}
