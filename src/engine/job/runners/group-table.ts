/**
 * The groups of the population and rare shapes: one model per (partition, by) group, the open
 * buckets' accumulators of its members (over members, or rare values without an over field), and
 * the over members seen with the last bucket each was seen in. New groups and new over members ask
 * the memory gate first.
 */
import type { DetectorRunnerState } from '../detector-runner.js';
import { SlotAcc, type SlotAccState } from '../slot-acc.js';
import { restoreModel, type GroupModel } from './models.js';
import { entityKey, slotBytes, splitCounts, type RunnerKit } from './runner-kit.js';

export interface Group<M extends GroupModel> {
  partition: string | null;
  by: string | null;
  model: M;
  /** Open buckets: each member's accumulator, by bucket start. */
  open: Map<number, Map<string, SlotAcc>>;
  lastSeen: number;
}

export class GroupTable<M extends GroupModel> {
  private readonly groups = new Map<string, Group<M>>();
  /** Over members seen, with the bucket they were last seen in (none without an over field). */
  private readonly overSeen = new Map<string, number>();

  constructor(
    private readonly kit: RunnerKit,
    private readonly newModel: () => M,
  ) {}

  /** The accumulator of `member` in group (partition, by) for `bucket`; null when refused at the memory limit. */
  memberAcc(partition: string | null, by: string | null, member: string, bucket: number): SlotAcc | null {
    if (this.kit.overGet) {
      if (!this.overSeen.has(member)) {
        if (!this.kit.admit()) return null;
      }
      this.overSeen.set(member, bucket);
    }
    const g = this.groupFor(partition, by, bucket);
    if (!g) return null;
    let members = g.open.get(bucket);
    if (!members) {
      members = new Map();
      g.open.set(bucket, members);
    }
    let acc = members.get(member);
    if (!acc) {
      acc = new SlotAcc();
      acc.reset(bucket);
      members.set(member, acc);
    }
    return acc;
  }

  private groupFor(partition: string | null, by: string | null, bucket: number): Group<M> | null {
    const key = entityKey(partition, by);
    let g = this.groups.get(key);
    if (!g) {
      if (!this.kit.admit()) return null;
      g = { partition, by, model: this.newModel(), open: new Map(), lastSeen: bucket };
      this.groups.set(key, g);
    }
    g.lastSeen = bucket;
    return g;
  }

  /**
   * The groups to finish a bucket for. For a final bucket, groups not seen since `pruneBefore`
   * with no open bucket are dropped first.
   */
  live(interim: boolean, pruneBefore: number): IterableIterator<Group<M>> {
    if (!interim) {
      for (const [key, g] of this.groups) if (g.lastSeen < pruneBefore && g.open.size === 0) this.groups.delete(key);
    }
    return this.groups.values();
  }

  /** Forgets over members not seen since `before`. */
  pruneOver(before: number): void {
    for (const [k, last] of this.overSeen) if (last < before) this.overSeen.delete(k);
  }

  /** Drops open buckets before `bucket` (skip_time). */
  discardBefore(bucket: number): void {
    for (const g of this.groups.values()) for (const b of [...g.open.keys()]) if (b < bucket) g.open.delete(b);
  }

  /** Distinct by values and partitions of the groups, and the over members, for model_size_stats. */
  counts(): { by: number; over: number; partition: number } {
    const c = splitCounts(this.groups.values());
    return { by: c.by, over: this.overSeen.size, partition: c.partition };
  }

  /** Every group. */
  all(): IterableIterator<Group<M>> {
    return this.groups.values();
  }

  seriesCount(): number {
    return this.groups.size + this.overSeen.size;
  }

  memoryBytes(): number {
    let bytes = 0;
    for (const [key, g] of this.groups) {
      bytes += 200 + 2 * key.length + g.model.memoryBytes();
      for (const members of g.open.values()) for (const [k, s] of members) bytes += 64 + 2 * k.length + slotBytes(s);
    }
    for (const k of this.overSeen.keys()) bytes += 80 + 2 * k.length;
    return bytes;
  }

  toState(): DetectorRunnerState {
    const s: DetectorRunnerState = {};
    if (this.groups.size) {
      s.groups = [...this.groups.values()].map((g) => ({
        p: g.partition,
        b: g.by,
        m: g.model.toState(),
        o: [...g.open].map(([b, members]) => [b, [...members].map(([k, acc]) => [k, acc.toState()] as [string, SlotAccState])] as [number, [string, SlotAccState][]]),
        l: g.lastSeen,
      }));
    }
    if (this.overSeen.size) s.over = [...this.overSeen];
    return s;
  }

  restoreState(s: DetectorRunnerState): void {
    for (const g of s.groups ?? []) {
      this.groups.set(entityKey(g.p, g.b), {
        partition: g.p,
        by: g.b,
        model: restoreModel(g.m) as M,
        open: new Map(g.o.map(([b, members]) => [b, new Map(members.map(([k, st]) => [k, SlotAcc.fromState(st)]))])),
        lastSeen: g.l,
      });
    }
    for (const [k, v] of s.over ?? []) this.overSeen.set(k, v);
  }
}

