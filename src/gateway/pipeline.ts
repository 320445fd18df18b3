// The way a message travels inside the gateway: access policy, durable
// inbox, one turn at a time per session (messages that arrive meanwhile are
// gathered into the next turn), at most maxTurns sessions at once, voice to
// text, the agent, chunking, outbox. A storage fault (disk full, read-only)
// never ends the process: the turn's messages stay in the inbox, the store's
// state shows in status and /ready, and the turn runs again once a probe
// write works.
import type { InboundMessage, OutboundChunk } from "../core/channel.ts";
import type { StoreSet } from "../store/backend.ts";
import { newReplyId } from "../store/reply-id.ts";
import type { InboundRecord, OutboundRecord } from "../store/types.ts";
import type { TurnOrigin } from "../tools/types.ts";
import { groupTriggered } from "./access.ts";
import { HeldInbox } from "./held-inbox.ts";
import { InboundOrder, type Place } from "./inbound-order.ts";
import { ClaimedRuns, isClaimLost } from "./fleet-session.ts";
import { queuePairingReply } from "./pairing-reply.ts";
import { replyChunks } from "./reply-chunks.ts";
import { describeTurnFailure } from "./replies.ts";
import { isStopCommand, RunningTurns, stopSession, type RunningTurn } from "./turn-abort.ts";
import { DEFAULT_MAX_TURNS, type GatewayTurnResult, type PipelineOptions, type StoredInbound } from "./pipeline-types.ts";
import { TurnSlots } from "./turn-slots.ts";
import { startTyping, TYPING_AFTER_MS } from "./typing.ts";
import { gatherTurnInput } from "./turn-input.ts";
import { storedPayload } from "./inbound-payload.ts";
import { errorMessage } from "../core/errors.ts";

export { DEFAULT_MAX_TURNS } from "./pipeline-types.ts";
export type { ChannelPolicy, GatewayTurnInput, GatewayTurnResult, PipelineOptions, StoredInbound } from "./pipeline-types.ts";
export type { VoiceService } from "./inbound-media.ts";
export { TYPING_AFTER_MS } from "./typing.ts";

export class Pipeline {
  private readonly opts: PipelineOptions;
  private readonly now: () => number;
  private readonly slots: TurnSlots;
  private readonly turnAbort = new AbortController();
  /** each running turn's own abort (/stop), by session */
  private readonly running = new RunningTurns();
  private accepting = true;
  /** the first inbox row this process stored: rows from here on (ids only grow) never ran in an earlier life */
  private firstAccepted: number | undefined;
  private readonly fleet: ClaimedRuns | undefined; // a fleet's claims of the sessions running here
  /** rows stored here and not yet taken by a turn (a store of our own only; a fleet reads the inbox) */
  private readonly held: HeldInbox | undefined;
  /** sessions whose turns are running here now (a new session's flag is not trusted while its session runs) */
  private readonly inTurn = new Set<string>();
  /** stops the store's session-write notices (drain) */
  private unlisten: (() => void) | undefined;
  /** each session's messages on their way to the store, in the order they arrived */
  private readonly order = new InboundOrder();
  /** the heartbeat target as last written by this process: written again only when it changes */
  private activeChat: string | undefined;
  turnsRun = 0;

  constructor(opts: PipelineOptions) {
    this.opts = opts;
    this.now = opts.now ?? Date.now;
    this.fleet = opts.claims ? new ClaimedRuns(opts.claims, (key) => this.wake(key), opts.logger) : undefined;
    const held = (this.held = opts.sharedStore ? undefined : new HeldInbox());
    // a session created elsewhere (a cron job, an API call) is no longer new to rows held for it
    if (held) this.unlisten = opts.store.onSessionWrite((key) => held.sessionWritten(key));
    this.slots = new TurnSlots(opts.maxTurns ?? DEFAULT_MAX_TURNS, (key) => (this.fleet ? this.fleet.run(key, () => this.runSession(key)) : this.runSession(key)));
    opts.health?.onRecovered(() => {
      this.opts.logger.info("the store takes writes again; answering what waited");
      void this.recover();
    });
  }

  /**
   * Called by a channel for every message; resolves once the message is durably stored (or dropped).
   * A channel need not wait for one message before handing over the next: a session's messages are
   * stored in the order they were handed over, and those handed over together share one commit.
   */
  async accept(msg: InboundMessage): Promise<void> {
    if (!this.accepting) throw new Error("gateway is shutting down; the platform will redeliver");
    const sessionKey = this.opts.sessionKey(msg);
    return this.order.within(sessionKey, (place) => this.admit(msg, sessionKey, place));
  }

  private async admit(msg: InboundMessage, sessionKey: string, place: Place): Promise<void> {
    const policy = this.opts.policy(msg.channel);
    if (!policy) return;
    const sender = { channel: msg.channel, senderId: msg.senderId, ...(msg.senderUsername ? { senderUsername: msg.senderUsername } : {}) };
    const allowed = policy.allowFrom.allows(sender) || (await this.opts.store.pairing.isApproved(msg.channel, msg.senderId));
    const trigger = groupTriggered(msg, policy.groupTrigger);
    if (!trigger.triggered) return;
    if (!allowed) {
      if (msg.chatType === "direct" && policy.allowFrom.empty) await this.sendPairingCode(msg);
      else this.opts.logger.info({ channel: msg.channel, sender: msg.senderId }, "message from a sender not on allow_from dropped");
      return;
    }
    const payload = await storedPayload(msg, trigger.text, this.opts.logger, this.opts.maxMediaBytes);
    const stop = isStopCommand(payload.text);
    if (place.turn) await place.turn;
    const since = this.held?.storing(); // a session write from here on makes the row's "no session yet" stale
    let stored: InboundRecord | undefined;
    try {
      stored = await this.insert(msg, sessionKey, payload, place);
      // the turn starts from this row, not from reading it back; "no session yet" holds only if no turn of
      // the session runs now (one that began before this insert and commits after it would create it)
      if (stored && !stop) this.held?.add(stored, !this.inTurn.has(sessionKey), since);
    } finally {
      this.held?.stored();
    }
    if (!stored) return; // a redelivery of a message we already have
    this.firstAccepted ??= stored.id;
    if (stop) return this.stop(stored); // now, not behind the turn it stops
    this.slots.schedule(sessionKey);
    if (this.opts.holdReading?.(msg.channel)) await this.slots.room();
  }

  /** stores the message (undefined: a redelivery of one already stored); rejects, unacknowledged, when the store cannot */
  private async insert(msg: InboundMessage, sessionKey: string, payload: StoredInbound, place: Place): Promise<InboundRecord | undefined> {
    try {
      const storing = this.opts.store.delivery.acceptInbound({
        channel: msg.channel,
        chatId: msg.chatId,
        messageId: msg.messageId,
        sessionKey,
        senderId: msg.senderId,
        payload,
        receivedAt: this.now(),
      });
      // SQLite takes rows in the order they are handed in; PostgreSQL's pool may run two inserts
      // side by side, so there the next message waits for this one's
      if (!this.opts.sharedStore) place.leave();
      return await storing;
    } catch (err) {
      // not acknowledged: the platform (or catch-up) brings it again once the store works
      if (this.storeFault(err)) throw new Error(`message not stored: ${this.opts.health!.snapshot().detail}`, { cause: err });
      throw err;
    }
  }

  /** picks up what a previous life left: unanswered messages and unsent chunks; never rejects */
  async recover(): Promise<void> {
    if (!this.accepting) return;
    try {
      for (const key of await this.opts.store.delivery.sessionsWithPendingInbound()) {
        this.held?.gap(key); // what waits there was stored in an earlier life (or left by a storage fault)
        this.slots.schedule(key);
      }
      this.held?.recovered();
    } catch (err) {
      if (!this.storeFault(err)) this.opts.logger.error({ err: errorMessage(err) }, "could not read the inbox");
    }
    this.opts.outbox.kick();
  }

  /** runs a session's waiting messages (in a fleet: one nobody has claimed, or one claimed elsewhere a moment ago) */
  wake(sessionKey: string): void {
    if (this.accepting) this.slots.schedule(sessionKey);
  }

  /** stops taking messages and waits for running turns up to the deadline, then aborts them */
  async drain(deadlineMs: number): Promise<void> {
    this.accepting = false;
    this.unlisten?.();
    this.slots.close();
    const all = Promise.allSettled(this.slots.inFlight());
    const timedOut = await Promise.race([all.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), deadlineMs).unref())]);
    if (timedOut) {
      this.turnAbort.abort();
      await all;
    }
  }

  /** how many messages a channel that pulls updates should take in its next read; undefined: no bound from here */
  readAhead(channel: string): number | undefined {
    return this.opts.holdReading?.(channel) ? this.slots.readAhead() : undefined;
  }

  get runningSessions(): number {
    return this.slots.running;
  }

  /** sessions with messages waiting for a free turn slot */
  get waitingSessions(): number {
    return this.slots.waiting;
  }

  /** Never rejects: every failure is answered, or (storage faults) left pending for later. */
  private async runSession(sessionKey: string): Promise<void> {
    this.inTurn.add(sessionKey);
    try {
      for (;;) {
        if (this.turnAbort.signal.aborted) return;
        const pending = await this.waiting(sessionKey);
        if (pending.length === 0) return;
        // one chat per turn: messages of the same session from another chat wait for the next round
        const first = pending[0]!;
        const batch = pending.filter((r) => r.channel === first.channel && r.chatId === first.chatId);
        if (batch.length < pending.length) this.held?.putBack(sessionKey, pending.filter((r) => !batch.includes(r)));
        let answered = false;
        // No "processing" mark (a commit per turn for nothing): a crash mid-turn leaves the
        // messages pending, which recovery answers exactly as it would processing ones, and
        // the turn id (the first row's id) is the same on the re-run either way.
        const run = this.running.begin(sessionKey, batch.map((r) => r.id), this.turnAbort.signal);
        try {
          await this.turn(sessionKey, batch, run);
          answered = true;
        } catch (err) {
          if (this.turnAbort.signal.aborted) return; // left "processing": answered after the restart
          if (isClaimLost(err)) return; // another gateway runs the session now and answers these
          if (run.stopped) {
            answered = true; // closed by the /stop reply already
            continue;
          }
          if (this.storeFault(err)) return; // left as it is: answered when the store takes writes again
          this.opts.logger.error({ session: sessionKey, err: errorMessage(err) }, "turn failed");
          if (this.fleet) await this.fleet.check(sessionKey); // in a fleet: answered only while still claimed here
          await this.reply(first, batch, [{ text: describeTurnFailure(err), format: "plain" }], `inbox:${first.id}`, this.opts.store, this.mayHaveRun(first.id));
          await this.opts.store.delivery.markInbound(batch.map((r) => r.id), "failed", { error: errorMessage(err) });
          answered = true;
          this.opts.outbox.kick(first.channel);
        } finally {
          run.end();
          // rows left waiting in the store are no longer held: the session's next turn reads them back
          if (!answered) this.held?.gap(sessionKey);
        }
        // Messages that arrive during the turn mark the session to run again (TurnSlots), so
        // the inbox is read again now only when this turn left another chat's messages.
        if (batch.length === pending.length) return;
      }
    } catch (err) {
      if (!isClaimLost(err) && !this.storeFault(err)) this.opts.logger.error({ session: sessionKey, err: errorMessage(err) }, "could not record a turn's outcome; it is retried after a restart");
    } finally {
      this.inTurn.delete(sessionKey);
    }
  }

  /** a session's waiting rows: those held since they were stored, or (when the store may hold others) read from the inbox */
  private async waiting(sessionKey: string): Promise<InboundRecord[]> {
    const held = this.held?.take(sessionKey);
    if (held) return held;
    const at = this.held?.reading() ?? 0;
    const found = await this.opts.store.delivery.pendingInbound(sessionKey);
    this.held?.read(sessionKey, at, found);
    return found;
  }

  /**
   * Whether the turn over inbox rows starting at `firstId` may have run
   * before, in an earlier life of the gateway or on another gateway: only
   * then can the store hold a record of live messages it sent, so only then
   * is it read (a turn that ran before in this life is remembered in memory).
   */
  private mayHaveRun(firstId: number): boolean {
    return this.opts.sharedStore === true || this.firstAccepted === undefined || firstId < this.firstAccepted;
  }

  /** True when `err` is a storage fault (recorded; the store probes itself and recover() runs when it works). */
  private storeFault(err: unknown): boolean {
    const health = this.opts.health;
    const before = health?.state;
    if (!health?.failed(err)) return false;
    if (before === "ok") this.opts.logger.error({ store: health.state, err: errorMessage(err) }, `storage fault: ${health.snapshot().detail}`);
    return true;
  }

  /** /stop: one reply answers it and closes what it stopped (see turn-abort.ts) */
  private async stop(msg: InboundRecord): Promise<void> {
    const { answers, text, stoppedTurn } = await stopSession(msg, this.running, this.opts.store.delivery, this.opts.logger);
    this.held?.forget(msg.sessionKey, answers.map((r) => r.id)); // answered by the stop: no turn takes them
    // bound to the stopped turn: its streamed partial answer becomes the "Stopped." reply, none is left half-written
    try {
      await this.reply(msg, answers, [{ text, format: "plain" }], stoppedTurn);
    } catch (err) {
      this.held?.gap(msg.sessionKey); // not answered after all: they wait in the store
      throw err;
    }
    this.opts.outbox.kick(msg.channel);
  }

  private async turn(sessionKey: string, batch: InboundRecord[], run: RunningTurn): Promise<void> {
    const last = batch[batch.length - 1]!;
    const lastPayload = last.payload as StoredInbound;
    const { texts, parts, notes } = await gatherTurnInput(batch, this.opts.voice, run.signal);
    if (texts.length === 0 && parts.length === 0) {
      run.commit();
      await this.reply(last, batch, notes.length ? notes : [{ text: "I received an empty message.", format: "plain" }]);
      this.opts.outbox.kick(last.channel);
      return;
    }
    // the first message's row id names the turn: the same after a restart, so its tool calls are not repeated
    const turnId = `inbox:${batch[0]!.id}`;
    const ranBefore = this.mayHaveRun(batch[0]!.id);
    const origin: TurnOrigin = { sessionKey, channel: last.channel, chatId: last.chatId, senderId: last.senderId, turnId };
    const stopTyping = startTyping(this.opts.adapter, this.opts.typingAfterMs ?? TYPING_AFTER_MS, last.channel, last.chatId, lastPayload.threadId);
    const live = await this.opts.live?.start(turnId, {
      channel: last.channel,
      chatId: last.chatId,
      ...(lastPayload.threadId ? { threadId: lastPayload.threadId } : {}),
      ...(lastPayload.chatType === "group" ? { replyTo: last.messageId } : {}),
    }, ranBefore);
    // the reply is stored together with the turn's history (one transaction, `tx`), so a
    // crash can never leave a saved turn without its reply or the other way round
    let replied = false;
    let queued: OutboundRecord[] | undefined;
    const commit = async (result: GatewayTurnResult, tx: StoreSet | undefined) => {
      run.commit(); // throws once /stop aborted the turn: the agent's transaction rolls back
      if (this.fleet) await this.fleet.check(sessionKey); // in a fleet: refused (rolled back) once the claim passed on
      const via = tx ?? this.opts.store;
      queued = await this.reply(last, batch, replyChunks((this.opts.capabilities?.(last.channel) ?? this.opts.adapter(last.channel)?.capabilities)?.maxTextLength ?? 4000, notes, result), turnId, via, ranBefore);
      // the heartbeat's target rides in the same transaction (no commit of its own), and only when it
      // changed: on a store of our own nobody else writes it; in a fleet another gateway may have.
      // Remembered at once: the next transaction may begin before this one's caller hears of its commit.
      const chat = `${last.channel}\n${last.chatId}`;
      if (this.opts.noteActiveChat && (this.opts.sharedStore || chat !== this.activeChat)) {
        await this.opts.noteActiveChat(last.channel, last.chatId, via.kv);
        this.activeChat = chat;
        noted = true;
      }
      replied = true;
    };
    let noted = false;
    let done = false;
    // sending starts once the reply is committed, not while the transaction is open
    const committed = () => {
      done = true;
      // the reply's chunks as stored: the outbox sends them without reading them back (a store of our own only)
      this.opts.outbox.kick(last.channel, this.opts.sharedStore ? undefined : queued);
    };
    try {
      const result = await this.opts.runTurn({
        origin,
        text: texts.join("\n\n"),
        // every message said its session did not exist when stored (held rows only): no history to read
        ...(batch.every((r) => r.sessionExisted === false) ? { newSession: true } : {}),
        ...(parts.length ? { parts } : {}),
        signal: run.signal,
        onCommit: commit,
        onCommitted: committed,
        ...(live ? { onDelta: (t: string) => live.push(t), onToolCalls: (names: string[]) => live.tools(names) } : {}),
      });
      this.turnsRun++;
      if (!replied) {
        // chat commands save no history
        await commit(result, undefined);
        committed();
      }
    } finally {
      stopTyping();
      if (live) this.opts.live!.end(turnId);
      if (noted && !done) this.activeChat = undefined; // rolled back: the store's target is not known, the next turn writes it
    }
  }

  /**
   * Stores the reply through `via` (the turn's transaction, or the store);
   * a turn's reply (`turnId`) edits the messages its answer streamed into
   * (read from the store only when the turn `ranBefore` this life).
   * The caller kicks the outbox once what it wrote is committed; the stored
   * chunks are returned for that kick.
   */
  private async reply(to: InboundRecord, batch: InboundRecord[], chunks: OutboundChunk[], turnId?: string, via: Pick<StoreSet, "delivery" | "kv"> = this.opts.store, ranBefore = true): Promise<OutboundRecord[]> {
    const threadId = (to.payload as StoredInbound).threadId;
    let shaped: OutboundChunk[] = chunks.map((c, i) => ({
      ...c,
      ...(i === 0 && (to.payload as StoredInbound).chatType === "group" ? { replyTo: to.messageId } : {}),
      ...(i === 0 ? { inReplyTo: to.messageId } : {}),
      ...(threadId ? { threadId } : {}),
    }));
    const replyId = newReplyId(); // time-ordered: the outbox's reply index grows at its end (store/reply-id.ts)
    if (turnId && this.opts.live) {
      const bound = await this.opts.live.finish(turnId, shaped, via.kv, ranBefore);
      shaped = bound.chunks;
      this.opts.outbox.hold(replyId, to.channel, bound.ready);
    }
    const stored = await via.delivery.enqueueReply({
      channel: to.channel,
      chatId: to.chatId,
      replyId,
      chunks: shaped,
      answers: batch.map((r) => r.id),
      now: this.now(),
    });
    if (turnId) await this.opts.live?.forget(turnId, via.kv);
    return stored;
  }

  private async sendPairingCode(msg: InboundMessage): Promise<void> {
    const queued = await queuePairingReply(msg, {
      pairing: this.opts.store.pairing,
      delivery: this.opts.store.delivery,
      logger: this.opts.logger,
      now: this.now(),
      ttlMs: this.opts.pairingTtlMs ?? 60 * 60_000,
      ...(this.opts.pairingMaxPending !== undefined ? { maxPending: this.opts.pairingMaxPending } : {}),
    });
    if (queued) this.opts.outbox.kick(msg.channel);
  }

}
