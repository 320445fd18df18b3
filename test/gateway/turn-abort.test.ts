// /stop in the pipeline: handled when it arrives (not behind the turn it
// stops), aborts only that session's turn, answers once, and closes the
// stopped messages so a restart does not run them again.
import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import type { InboundMessage } from "../../src/core/channel.ts";
import type { GatewayTurnInput, GatewayTurnResult } from "../../src/gateway/pipeline.ts";
import { RunningTurns, TurnStoppedError } from "../../src/gateway/turn-abort.ts";
import { setupPipeline, until, useCleanup } from "./pipeline-helpers.ts";

const cleanup = useCleanup();

const msg = (id: string, text: string, over: Partial<InboundMessage> = {}): InboundMessage => ({
  channel: "test", chatId: "c1", chatType: "direct", messageId: id, senderId: "u1", text, ...over,
});

/** a turn that runs until its signal aborts (a slow model), or answers at once for other texts */
function slowTurns() {
  const started: GatewayTurnInput[] = [];
  const aborted: string[] = [];
  const runTurn = async (i: GatewayTurnInput): Promise<GatewayTurnResult> => {
    started.push(i);
    if (!i.text.startsWith("slow")) {
      const result = { text: `re: ${i.text}`, media: [] as [] };
      await i.onCommit?.(result, undefined);
      i.onCommitted?.(result);
      return result;
    }
    await new Promise<void>((_, reject) => {
      i.signal!.addEventListener("abort", () => (aborted.push(i.text), reject(i.signal!.reason)), { once: true });
    });
    throw new Error("unreachable");
  };
  return { runTurn, started, aborted };
}

const texts = (sent: { chunk: { text: string } }[]) => sent.map((s) => s.chunk.text);

describe("/stop", () => {
  it("stops the running turn at once, says so, and the next message is answered", async () => {
    const t = slowTurns();
    const { pipeline, adapter, store } = setupPipeline(cleanup, t.runTurn);
    await pipeline.accept(msg("1", "slow story"));
    await until(() => t.started.length === 1, "turn start");
    await pipeline.accept(msg("2", "/stop"));
    await until(() => adapter.sent.length === 1, "stop reply");
    expect(texts(adapter.sent)).toEqual(["Stopped."]);
    expect(t.aborted).toEqual(["slow story"]);
    await until(() => pipeline.runningSessions === 0, "turn end");
    expect(store.delivery.pendingInbound()).toEqual([]);
    await pipeline.accept(msg("3", "hello"));
    await until(() => adapter.sent.length === 2, "next reply");
    expect(texts(adapter.sent)).toEqual(["Stopped.", "re: hello"]);
    // the stop never reached the agent as a turn
    expect(t.started.map((i) => i.text)).toEqual(["slow story", "hello"]);
  });

  it("with nothing running says so", async () => {
    const t = slowTurns();
    const { pipeline, adapter } = setupPipeline(cleanup, t.runTurn);
    await pipeline.accept(msg("1", "/STOP@my_bot"));
    await until(() => adapter.sent.length === 1);
    expect(texts(adapter.sent)).toEqual(["Nothing is running."]);
    expect(t.started).toHaveLength(0);
  });

  it("stops only that session's turn", async () => {
    const t = slowTurns();
    const { pipeline, adapter } = setupPipeline(cleanup, t.runTurn);
    await pipeline.accept(msg("1", "slow one", { senderId: "u1", chatId: "c1" }));
    await pipeline.accept(msg("2", "slow two", { senderId: "u2", chatId: "c2" }));
    await until(() => t.started.length === 2, "both turns");
    await pipeline.accept(msg("3", "/stop", { senderId: "u1", chatId: "c1" }));
    await until(() => adapter.sent.length === 1);
    expect(adapter.sent[0]).toMatchObject({ chatId: "c1", chunk: { text: "Stopped." } });
    expect(t.aborted).toEqual(["slow one"]);
    expect(t.started[1]!.signal!.aborted).toBe(false);
    await until(() => pipeline.runningSessions === 1, "only the other turn running");
  });

  it("also closes what the chat sent while the turn ran, and a restart runs none of it", async () => {
    const t = slowTurns();
    const first = setupPipeline(cleanup, t.runTurn);
    await first.pipeline.accept(msg("1", "slow story"));
    await until(() => t.started.length === 1);
    await first.pipeline.accept(msg("2", "and make it long"));
    await first.pipeline.accept(msg("3", "/stop"));
    await until(() => first.adapter.sent.length === 1);
    expect(texts(first.adapter.sent)).toEqual(["Stopped."]);
    await until(() => first.pipeline.runningSessions === 0, "turn end");
    expect(t.started).toHaveLength(1);
    // a new pipeline on the same store: nothing is pending, nothing runs
    const again = slowTurns();
    const second = setupPipeline(cleanup, again.runTurn, { store: first.store });
    second.pipeline.recover();
    expect(first.store.delivery.pendingInbound()).toEqual([]);
    await second.pipeline.accept(msg("4", "hi"));
    await until(() => second.adapter.sent.length === 1);
    expect(again.started.map((i) => i.text)).toEqual(["hi"]);
  });

  it("a turn that finishes anyway after /stop cannot save its answer", async () => {
    let commitError: unknown;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const runTurn = async (i: GatewayTurnInput): Promise<GatewayTurnResult> => {
      await gate; // ignores the abort, as a tool that cannot be interrupted would
      const result = { text: "late answer", media: [] as [] };
      try {
        await i.onCommit?.(result, undefined);
        i.onCommitted?.(result);
      } catch (err) {
        commitError = err;
        throw err;
      }
      return result;
    };
    const { pipeline, adapter, store } = setupPipeline(cleanup, runTurn);
    await pipeline.accept(msg("1", "work"));
    await until(() => pipeline.runningSessions === 1);
    await pipeline.accept(msg("2", "/stop"));
    await until(() => adapter.sent.length === 1);
    release();
    await until(() => pipeline.runningSessions === 0);
    expect((commitError as Error).name).toBe("AbortError");
    expect(texts(adapter.sent)).toEqual(["Stopped."]);
    expect(store.delivery.pendingInbound()).toEqual([]);
  });

  it("a turn that already saved its answer is not stopped", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const runTurn = async (i: GatewayTurnInput): Promise<GatewayTurnResult> => {
      const result = { text: "done", media: [] as [] };
      await i.onCommit?.(result, undefined);
      i.onCommitted?.(result);
      await gate; // e.g. compacting after the answer was saved
      return result;
    };
    const { pipeline, adapter } = setupPipeline(cleanup, runTurn);
    await pipeline.accept(msg("1", "work"));
    await until(() => adapter.sent.length === 1);
    await pipeline.accept(msg("2", "/stop"));
    await until(() => adapter.sent.length === 2);
    release();
    expect(texts(adapter.sent)).toEqual(["done", "Nothing is running."]);
  });
});

describe("RunningTurns and the shutdown", () => {
  it("a shutdown aborts every running turn with its reason, and a turn begun after it starts aborted", () => {
    const running = new RunningTurns();
    const shutdown = new AbortController();
    const a = running.begin("s1", [1], shutdown.signal);
    const b = running.begin("s2", [2], shutdown.signal);
    const ended = running.begin("s3", [3], shutdown.signal);
    ended.end();
    const other = new AbortController();
    const elsewhere = running.begin("s4", [4], other.signal);
    expect(a.signal.aborted || b.signal.aborted).toBe(false);
    const reason = new Error("shutting down");
    shutdown.abort(reason);
    expect([a.signal.reason, b.signal.reason]).toEqual([reason, reason]);
    expect([a.stopped, b.stopped]).toEqual([false, false]);
    expect(ended.signal.aborted).toBe(false);
    expect(elsewhere.signal.aborted).toBe(false);
    const late = running.begin("s5", [5], shutdown.signal);
    expect(late.signal.reason).toBe(reason);
  });

  it("/stop aborts its turn with TurnStoppedError, which a later shutdown does not replace", () => {
    const running = new RunningTurns();
    const shutdown = new AbortController();
    const turn = running.begin("s1", [1], shutdown.signal);
    expect(running.stop("s1")).toBe(turn);
    expect(turn.signal.reason).toBeInstanceOf(TurnStoppedError);
    shutdown.abort(new Error("shutting down"));
    expect(turn.signal.reason).toBeInstanceOf(TurnStoppedError);
    expect(turn.stopped).toBe(true);
  });

  it("listens to the shutdown once, however many turns come and go", () => {
    const running = new RunningTurns();
    const shutdown = new AbortController();
    for (let i = 0; i < 100; i++) running.begin(`s${i % 7}`, [i], shutdown.signal).end();
    expect(getEventListeners(shutdown.signal, "abort")).toHaveLength(1);
  });
});
