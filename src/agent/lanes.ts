// A keyed mutex: tasks that share a key run one at a time in the order they
// arrived; tasks with different keys run side by side. The agent keys its
// turns by session, so a session never sees two turns interleave.

interface Lane {
  tail: Promise<void>;
  /** tasks running or waiting in this lane */
  queued: number;
}

export class Lanes {
  private readonly lanes = new Map<string, Lane>();

  /** Runs `task` after every task queued earlier under `key` has settled. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = { tail: Promise.resolve(), queued: 0 };
      this.lanes.set(key, lane);
    }
    const current = lane;
    current.queued++;
    const result = current.tail.then(task);
    current.tail = result.then(
      () => this.release(key, current),
      () => this.release(key, current),
    );
    return result;
  }

  /** Tasks running or waiting under `key`. */
  queued(key: string): number {
    return this.lanes.get(key)?.queued ?? 0;
  }

  /** Keys with a task running or waiting. */
  get busy(): number {
    return this.lanes.size;
  }

  /** Resolves once every task queued so far (under any key) has settled. */
  async idle(): Promise<void> {
    while (this.lanes.size > 0) await Promise.all([...this.lanes.values()].map((l) => l.tail));
  }

  private release(key: string, lane: Lane): void {
    lane.queued--;
    if (lane.queued === 0 && this.lanes.get(key) === lane) this.lanes.delete(key);
  }
}
