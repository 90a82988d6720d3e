/**
 * What the population and rare runners share: their groups, kept in a {@link GroupTable}, and
 * everything that only asks the table (state, memory, counts, skip_time).
 */
import type { BucketControl, BucketOutput, DetectorRunnerState, EntityHistory, RecordInput, ShapeRunner } from '../detector-runner.js';
import { GroupTable } from './group-table.js';
import type { GroupModel } from './models.js';
import type { RunnerKit } from './runner-kit.js';

export abstract class GroupRunner<M extends GroupModel> implements ShapeRunner {
  protected readonly table: GroupTable<M>;

  constructor(protected readonly kit: RunnerKit) {
    this.table = new GroupTable(kit, () => this.newModel());
  }

  /** A new group's model. */
  protected abstract newModel(): M;
  abstract add(r: RecordInput, partition: string | null, by: string | null): boolean;
  abstract finish(bucket: number, slot: number, interim: boolean, pruneBefore: number, out: BucketOutput, control: BucketControl): void;

  discardBefore(bucket: number): void {
    this.table.discardBefore(bucket);
  }

  /** Groups keep no bucket history: only series entities are forecast. */
  histories(): EntityHistory[] {
    return [];
  }

  counts(): { by: number; over: number; partition: number } {
    return this.table.counts();
  }

  seriesCount(): number {
    return this.table.seriesCount();
  }

  memoryBytes(): number {
    return this.table.memoryBytes();
  }

  newEntityBytes(): number {
    return 200;
  }

  toState(): DetectorRunnerState {
    return this.table.toState();
  }

  restoreState(s: DetectorRunnerState): void {
    this.table.restoreState(s);
  }
}
