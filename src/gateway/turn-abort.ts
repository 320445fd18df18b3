// /stop: the turns running now, by session, each with its own abort signal
// (which the gateway's shutdown aborts too). A /stop is handled when it
// arrives, not behind the turn it stops: the pipeline looks the session up
// here, aborts it, and closes the stopped messages with the "Stopped." reply
// in one store transaction, so a restart never runs them again.
//
// A turn that already saved its answer (history and reply in one
// transaction) cannot be taken back: it counts as finished, and /stop finds
// nothing to stop. A turn stopped before that point saves nothing: its
// commit refuses (TurnStoppedError), which rolls the transaction back.
import { NOTHING_RUNNING_REPLY, parseCommand, STOPPED_REPLY } from "../agent/commands.ts";
import type { Logger } from "../core/logger.ts";
import type { AsyncDeliveryStore } from "../store/backend.ts";
import type { InboundRecord } from "../store/types.ts";

export class TurnStoppedError extends Error {
  constructor() {
    super("the turn was stopped with /stop");
    this.name = "AbortError";
  }
}

export interface RunningTurn {
  readonly signal: AbortSignal;
  /** inbox rows the turn answers */
  readonly ids: readonly number[];
  /** set once /stop aborted it */
  readonly stopped: boolean;
  /** the answer is being saved: from here on the turn is finished for /stop; throws when it was stopped */
  commit(): void;
  /** the turn is over (answered, failed or stopped) */
  end(): void;
}

export class RunningTurns {
  private readonly turns = new Map<string, Turn>();
  /** every turn not yet ended, whatever its session: a shutdown aborts them all */
  private readonly live = new Set<Turn>();
  /** shutdown signals already listened to: one listener each, not one per turn */
  private readonly followed = new WeakSet<AbortSignal>();

  /** registers the turn of `sessionKey` about to run over inbox rows `ids` */
  begin(sessionKey: string, ids: readonly number[], shutdown: AbortSignal): RunningTurn {
    this.follow(shutdown);
    const turn = new Turn(ids, shutdown, () => {
      this.live.delete(turn);
      if (this.turns.get(sessionKey) === turn) this.turns.delete(sessionKey);
    });
    this.live.add(turn);
    this.turns.set(sessionKey, turn);
    if (shutdown.aborted) turn.cancel(shutdown.reason);
    return turn;
  }

  /** aborts the session's running turn; undefined when none runs (or it already saved its answer) */
  stop(sessionKey: string): RunningTurn | undefined {
    const turn = this.turns.get(sessionKey);
    if (!turn || turn.committed || turn.stopped) return undefined;
    turn.abort();
    return turn;
  }

  /**
   * A turn's signal is its own controller's, and the shutdown is passed on to
   * it from here. Joining each turn's with the shutdown through
   * AbortSignal.any made a composite signal per turn that Node keeps
   * following, and every listener added to one (each model call's and each
   * streamed read's) re-checks its sources: ~25 µs of a lone message's CPU in
   * a profile (bench/README.md).
   */
  private follow(shutdown: AbortSignal): void {
    if (this.followed.has(shutdown)) return;
    this.followed.add(shutdown);
    shutdown.addEventListener(
      "abort",
      () => {
        for (const turn of this.live) if (turn.shutdown === shutdown) turn.cancel(shutdown.reason);
      },
      { once: true },
    );
  }
}

class Turn implements RunningTurn {
  readonly ids: readonly number[];
  readonly signal: AbortSignal;
  readonly shutdown: AbortSignal;
  committed = false;
  stopped = false;
  private readonly own = new AbortController();
  private readonly release: () => void;

  constructor(ids: readonly number[], shutdown: AbortSignal, release: () => void) {
    this.ids = ids;
    this.shutdown = shutdown;
    this.signal = this.own.signal;
    this.release = release;
  }

  /** /stop */
  abort(): void {
    this.stopped = true;
    this.own.abort(new TurnStoppedError());
  }

  /** the gateway shuts down: aborted with the shutdown's reason, as a joined signal would be */
  cancel(reason: unknown): void {
    this.own.abort(reason);
  }

  commit(): void {
    if (this.stopped) throw new TurnStoppedError();
    this.committed = true;
  }

  end(): void {
    this.release();
  }
}

/** true when the stored text is a /stop (any case, @botname already removed) */
export function isStopCommand(text: string): boolean {
  return parseCommand(text)?.name === "/stop";
}

/**
 * Handles a stored /stop: aborts the session's running turn and picks what
 * the stop closes: the turn's messages and whatever this chat still waits
 * for in that session. The caller's one reply answers them all (the outbox
 * marks them done in the same transaction).
 */
export async function stopSession(
  msg: InboundRecord,
  running: RunningTurns,
  delivery: Pick<AsyncDeliveryStore, "pendingInbound">,
  logger: Logger,
): Promise<{ answers: InboundRecord[]; text: string; stoppedTurn?: string }> {
  // aborted before anything is awaited: the turn cannot commit its answer after /stop arrived
  const turn = running.stop(msg.sessionKey);
  const closed = (await delivery.pendingInbound(msg.sessionKey)).filter((r) => r.id !== msg.id && (turn?.ids.includes(r.id) || (r.channel === msg.channel && r.chatId === msg.chatId)));
  logger.info({ session: msg.sessionKey, running: Boolean(turn), closed: closed.length }, "/stop");
  return {
    answers: [msg, ...closed],
    text: turn || closed.length ? STOPPED_REPLY : NOTHING_RUNNING_REPLY,
    // the stopped turn's id (its first message's row, as Pipeline.turn names it)
    ...(turn?.ids[0] !== undefined ? { stoppedTurn: `inbox:${turn.ids[0]}` } : {}),
  };
}
