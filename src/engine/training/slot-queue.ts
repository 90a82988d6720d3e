/**
 * A limit on how many jobs of one kind run at once (trainings, live activations, historical runs):
 * `enter(id)` resolves when the job may run; jobs beyond the limit wait in FIFO order and can say
 * where they stand (`position`). `leave(id)` frees a slot (or takes a waiting job out of the queue,
 * rejecting its `enter` with CancelledError). Raising the limit starts waiting jobs at once.
 */
import { CancelledError } from '../../core/neural/cancelled.js';

interface Waiter {
  id: string;
  resolve: () => void;
  reject: (e: Error) => void;
}

export interface QueueStats {
  name: string;
  limit: number;
  running: number;
  queued: number;
}

export class SlotQueue {
  private readonly running = new Set<string>();
  private readonly waiting: Waiter[] = [];

  constructor(
    readonly name: string,
    private max: number,
  ) {
    if (!(max >= 1)) throw new RangeError(`${name}: limit must be at least 1, got ${max}`);
  }

  get limit(): number {
    return this.max;
  }

  setLimit(n: number): void {
    if (!(n >= 1)) throw new RangeError(`${this.name}: limit must be at least 1, got ${n}`);
    this.max = Math.floor(n);
    this.drain();
  }

  /** Resolves once `id` holds a slot. */
  enter(id: string): Promise<void> {
    if (this.running.has(id) || this.waiting.some((w) => w.id === id)) return Promise.reject(new Error(`${this.name}: [${id}] is already queued or running`));
    if (this.running.size < this.max && this.waiting.length === 0) {
      this.running.add(id);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => this.waiting.push({ id, resolve, reject }));
  }

  /** Frees `id`'s slot, or removes it from the queue. Returns false when it was neither. */
  leave(id: string): boolean {
    if (this.running.delete(id)) {
      this.drain();
      return true;
    }
    const k = this.waiting.findIndex((w) => w.id === id);
    if (k >= 0) {
      const [w] = this.waiting.splice(k, 1);
      w.reject(new CancelledError(`${this.name}: [${id}] left the queue before it started`));
      return true;
    }
    return false;
  }

  /** 0 while running, 1… while waiting (1 = next), null when unknown. */
  position(id: string): number | null {
    if (this.running.has(id)) return 0;
    const k = this.waiting.findIndex((w) => w.id === id);
    return k >= 0 ? k + 1 : null;
  }

  stats(): QueueStats {
    return { name: this.name, limit: this.max, running: this.running.size, queued: this.waiting.length };
  }

  private drain(): void {
    while (this.running.size < this.max && this.waiting.length > 0) {
      const w = this.waiting.shift()!;
      this.running.add(w.id);
      w.resolve();
    }
  }
}
