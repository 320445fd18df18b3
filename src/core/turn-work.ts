// What upkeep that must not hold up a reply (memory given back, SQLite's WAL
// checkpoints) needs to know of the turns the gateway runs, so it waits for a
// moment when nobody is being answered. The process's own is TurnActivity
// (src/gateway/turn-slots.ts); the store and the gateway's upkeep read it
// through this, so neither depends on the other.

export interface TurnWork {
  /** turns running now */
  readonly underWay: number;
  /** turns started since the process began: a look that sees it move knows work came and went */
  readonly started: number;
  /** calls `listener` each time the last running turn ends; returns the unsubscribe */
  whenIdle(listener: () => void): () => void;
}

/**
 * Calls `ended` each time the last running turn ends, and `then` `delayMs`
 * after the latest such end: one unref'd timer, made at the first end and
 * re-armed at each later one, so a lone message costs a refresh and a burst's
 * many ends make one call after its last. Returns the stop.
 */
export function afterEachIdle(work: Pick<TurnWork, "whenIdle">, delayMs: number, ended: () => void, then: () => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  const unsubscribe = work.whenIdle(() => {
    ended();
    if (timer) timer.refresh();
    else (timer = setTimeout(then, delayMs)).unref();
  });
  return () => {
    unsubscribe();
    clearTimeout(timer);
  };
}
