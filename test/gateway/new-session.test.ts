// A new chat's first turn skips reading a history when its message's insert
// saw no session. Anything that creates that session before the turn runs
// (a cron job's turn, an API call, a /new) must make the turn read it.
import { describe, expect, it } from "vitest";
import type { InboundMessage } from "../../src/core/channel.ts";
import type { GatewayTurnInput, GatewayTurnResult } from "../../src/gateway/pipeline.ts";
import { sqliteBackend } from "../../src/store/sqlite-backend.ts";
import { setupPipeline, until, useCleanup } from "./pipeline-helpers.ts";

const cleanup = useCleanup();

const msg = (id: string, text: string, over: Partial<InboundMessage> = {}): InboundMessage => ({
  channel: "test", chatId: "c1", chatType: "direct", messageId: id, senderId: "u1", text, ...over,
});

/** turns that note whether they were told their session is new; the turn for `blocker` waits for release */
function turns(blocker: string) {
  const seen: [string, boolean][] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const run = async (i: GatewayTurnInput): Promise<GatewayTurnResult> => {
    seen.push([i.text, i.newSession === true]);
    if (i.text === blocker) await gate;
    return { text: `re: ${i.text}`, media: [] };
  };
  return { seen, release, run };
}

describe("a new chat whose session is created elsewhere before its first turn", () => {
  it("is not new to its turn when a cron job or an API call wrote the session while the message waited", async () => {
    const t = turns("blocker");
    // one turn at a time: the new chat's message waits behind another session's turn
    const { store, adapter, pipeline } = setupPipeline(cleanup, t.run, { maxTurns: 1 });
    await pipeline.accept(msg("0", "blocker", { senderId: "b", chatId: "cb" }));
    await until(() => t.seen.length === 1, "the blocking turn");
    await pipeline.accept(msg("1", "first words"));
    // a scheduled job answers in the same session (through the backend, as the agent writes)
    await sqliteBackend(store).sessions.saveTurn("test:dm:u1", { messages: [{ role: "assistant", content: "your daily digest" }], now: 5 });
    t.release();
    await until(() => adapter.sent.length === 2, "both answers");
    expect(t.seen).toEqual([["blocker", true], ["first words", false]]);
  });

  it("is not new to its turn when the session was written between the insert and the turn taking the row", async () => {
    const t = turns("");
    const { store, adapter, pipeline } = setupPipeline(cleanup, t.run);
    // the write lands right after the inbox insert saw "no session", before the pipeline holds the row
    const insert = store.delivery.acceptInbound.bind(store.delivery);
    store.delivery.acceptInbound = (m) => {
      const row = insert(m);
      store.sessions.reset(m.sessionKey, 3); // a /new sent through the API
      return row;
    };
    await pipeline.accept(msg("1", "hello"));
    await until(() => adapter.sent.length === 1, "the answer");
    expect(t.seen).toEqual([["hello", false]]);
  });

  it("is still new to its turn when nothing wrote its session", async () => {
    const t = turns("");
    const { adapter, pipeline } = setupPipeline(cleanup, t.run);
    await pipeline.accept(msg("1", "hello"));
    await until(() => adapter.sent.length === 1, "the answer");
    expect(t.seen).toEqual([["hello", true]]);
  });
});
