/**
 * The rare shape (`rare`, `freq_rare`): one rarity model per partition over the by values. Without
 * an over field a bucket's by values are scored and learned once each; with one (population rare)
 * each over member's values are scored, a record per member gathers its rare values as causes
 * (freq_rare adds up their surprise), and the model learns how many members used each value.
 * skip_model_update rules (scoped on the partition, the value or the member) and calendar events
 * keep a bucket's values, or some of them, from being learned.
 */
import { RareModel, newRareScore } from '../../../core/detect/rare/rare-model.js';
import { scoreFromSurprise } from '../../../core/score/calibrator.js';
import type { BucketControl, BucketOutput, RecordInput } from '../detector-runner.js';
import type { AnomalyCause } from '../results.js';
import type { SlotAcc } from '../slot-acc.js';
import { impactOf, influencesOf, recordDoc, round } from './documents.js';
import { GroupRunner } from './group-runner.js';
import type { Group } from './group-table.js';
import { copyModel } from './models.js';

export class RareRunner extends GroupRunner<RareModel> {
  protected newModel(): RareModel {
    return new RareModel();
  }

  /** A by value (never null here): the member's term with an over field, the member itself without. */
  add(r: RecordInput, partition: string | null, by: string | null): boolean {
    const value = by as string;
    let acc: SlotAcc | null;
    if (this.kit.overGet) {
      const over = this.kit.overOf(r);
      if (over === undefined) return false;
      acc = this.table.memberAcc(partition, null, over, r.bucket);
      if (!acc) return false;
      acc.addTerm(value, r.weight);
    } else {
      acc = this.table.memberAcc(partition, null, value, r.bucket);
      if (!acc) return false;
    }
    acc.count += r.weight;
    this.kit.trackInfluence(acc, r);
    return true;
  }

  finish(bucket: number, _slot: number, interim: boolean, pruneBefore: number, out: BucketOutput, ctl: BucketControl): void {
    const learn = !interim && !ctl.skipModelUpdate;
    const population = this.kit.overGet !== null;
    for (const g of this.table.live(interim, pruneBefore)) {
      const members = g.open.get(bucket);
      if (!members) {
        if (learn) g.model.learn([]);
        continue;
      }
      const model = interim ? copyModel(g.model) : g.model;
      if (!population) this.finishValues(g, model, members, bucket, interim, learn, out, ctl);
      else this.finishMembers(g, model, members, bucket, interim, learn, out, ctl);
      if (!interim) g.open.delete(bucket);
    }
    if (!interim) this.table.pruneOver(pruneBefore);
  }

  /** Without an over field: each by value of the bucket scored, then learned once. */
  private finishValues(g: Group<RareModel>, model: RareModel, members: Map<string, SlotAcc>, bucket: number, interim: boolean, learn: boolean, out: BucketOutput, ctl: BucketControl): void {
    const kit = this.kit;
    const rs = newRareScore();
    for (const [value, acc] of members) {
      model.score(value, rs);
      if (rs.score <= 0) continue;
      const doc = recordDoc(kit, bucket, interim, rs.probability, g.partition, value, null);
      doc.actual = [acc.count];
      doc.typical = [round(rs.typical)];
      doc.multi_bucket_impact = -5;
      doc.anomaly_score_explanation = {
        single_bucket_impact: impactOf(rs.probability),
        multi_bucket_impact: 0,
        by_field_first_occurrence: rs.firstOccurrence,
        by_field_relative_rarity: round(rs.relativeRarity),
        high_variance_penalty: false,
        incomplete_bucket_penalty: false,
      };
      out.records.push({ doc, raw: rs.score, influences: influencesOf(kit, acc, g.partition, value, null) });
    }
    if (learn) {
      // skip_model_update rules: a value in scope (and meeting the conditions on its count) is not learned
      const keep = ctl.skipUpdate === null ? [...members.keys()] : [...members].filter(([value, acc]) => !ctl.skipUpdate!({ partition: g.partition, by: value, over: null }, acc.count, NaN)).map(([value]) => value);
      model.learn(keep.map((v) => [v, 1] as [string, number]));
    }
  }

  /**
   * With an over field: each member's values scored, a record per member with its rare values as
   * causes; the model learns how many members used each value, but for the (member, value) pairs in
   * the scope of a skip_model_update rule (and meeting its conditions, on the member's count of the value).
   */
  private finishMembers(g: Group<RareModel>, model: RareModel, members: Map<string, SlotAcc>, bucket: number, interim: boolean, learn: boolean, out: BucketOutput, ctl: BucketControl): void {
    const kit = this.kit;
    const config = kit.config;
    const name = kit.info.name;
    const rs = newRareScore();
    const users = new Map<string, number>();
    for (const [member, acc] of members) {
      const causes: { cause: AnomalyCause; raw: number; nats: number }[] = [];
      for (const value of acc.terms?.keys() ?? []) {
        if (learn && (ctl.skipUpdate === null || !ctl.skipUpdate({ partition: g.partition, by: value, over: member }, acc.terms!.get(value) as number, NaN))) {
          users.set(value, (users.get(value) ?? 0) + 1);
        }
        model.score(value, rs);
        const nats = -Math.log(Math.max(rs.probability, 1e-300));
        if (rs.score <= 0 && name === 'rare') continue;
        if (rs.probability > 0.05) continue;
        const cause: AnomalyCause = {
          probability: rs.probability,
          function: name,
          function_description: name,
          by_field_name: config.by_field_name,
          by_field_value: value,
          over_field_name: config.over_field_name,
          over_field_value: member,
          actual: [acc.terms!.get(value) as number],
          typical: [round(rs.typical)],
        };
        if (config.partition_field_name !== undefined && g.partition !== null) {
          cause.partition_field_name = config.partition_field_name;
          cause.partition_field_value = g.partition;
        }
        causes.push({ cause, raw: rs.score, nats });
      }
      if (causes.length === 0) continue;
      causes.sort((a, b) => b.raw - a.raw || a.cause.probability - b.cause.probability);
      let raw = causes[0].raw;
      let probability = causes[0].cause.probability;
      if (name === 'freq_rare') {
        // frequently rare: the member's rare values add up (capped per value)
        let nats = 0;
        for (const c of causes) nats += Math.min(c.nats, 20);
        probability = Math.exp(-nats);
        raw = model.warm ? Math.min(100, scoreFromSurprise(nats)) : 0;
        if (raw <= 0) continue;
      }
      const doc = recordDoc(kit, bucket, interim, probability, g.partition, null, member);
      doc.causes = causes.map((c) => c.cause);
      doc.multi_bucket_impact = -5;
      doc.anomaly_score_explanation = {
        single_bucket_impact: impactOf(probability),
        multi_bucket_impact: 0,
        high_variance_penalty: false,
        incomplete_bucket_penalty: false,
      };
      out.records.push({ doc, raw, influences: influencesOf(kit, acc, g.partition, null, member) });
    }
    if (learn) model.learn(users);
  }

  /** Rare values known (Elastic counts them as by values), over members and partitions. */
  override counts(): { by: number; over: number; partition: number } {
    const c = this.table.counts();
    let values = 0;
    for (const g of this.table.all()) values += g.model.size;
    return { by: values, over: c.over, partition: c.partition };
  }
}
