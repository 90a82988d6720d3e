/**
 * A queue that runs asynchronous tasks one after another: each starts when the one before it has
 * settled (fulfilled or rejected), and a failure reaches only its own caller.
 */
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();

  /**
   * Runs `fn` after every task queued before it.
   *
   * @example
   * const q = new Serial();
   * await Promise.all([q.run(write1), q.run(write2)]); // write2 starts once write1 has settled
   */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
