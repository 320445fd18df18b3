// Messages a channel hands over together (a Telegram poll, webhooks side by
// side) are stored with one commit, and a session's messages are stored in
// the order they were handed over even when one of them takes longer to
// prepare (a photo to download).
import { describe, expect, it } from "vitest";
import type { InboundMessage } from "../../src/core/channel.ts";
import type { GatewayTurnInput, GatewayTurnResult } from "../../src/gateway/pipeline.ts";
import type { Store } from "../../src/store/index.ts";
import { setupPipeline, until, useCleanup } from "./pipeline-helpers.ts";

const cleanup = useCleanup();

const msg = (id: string, text: string, over: Partial<InboundMessage> = {}): InboundMessage => ({
  channel: "test", chatId: "c1", chatType: "direct", messageId: id, senderId: "u1", text, ...over,
});
const echo = async (i: GatewayTurnInput): Promise<GatewayTurnResult> => ({ text: `re: ${i.text}`, media: [] });

/** for every inbox insert: how many COMMITs the connection had run before it, and whether a transaction was open */
function watchInserts(store: Store): { commitsBefore: number; inTransaction: boolean }[] {
  let commits = 0;
  const exec = store.db.exec.bind(store.db);
  store.db.exec = (sql: string) => {
    if (/^COMMIT/i.test(sql.trim())) commits++;
    return exec(sql);
  };
  const seen: { commitsBefore: number; inTransaction: boolean }[] = [];
  const accept = store.delivery.acceptInbound.bind(store.delivery);
  store.delivery.acceptInbound = (m) => {
    seen.push({ commitsBefore: commits, inTransaction: store.db.isTransaction });
    return accept(m);
  };
  return seen;
}

describe("messages handed over together", () => {
  it("are stored in one transaction, and each is answered once", async () => {
    const { store, adapter, pipeline } = setupPipeline(cleanup, echo);
    const inserts = watchInserts(store);
    await Promise.all(["1", "2", "3", "4", "5"].map((id) => pipeline.accept(msg(id, `hi ${id}`, { senderId: `u${id}`, chatId: `c${id}` }))));
    expect(inserts).toHaveLength(5);
    expect(inserts.every((i) => i.inTransaction)).toBe(true);
    expect(new Set(inserts.map((i) => i.commitsBefore)).size).toBe(1); // no COMMIT between them
    await until(() => adapter.sent.length === 5, "five answers");
    expect(adapter.sent.map((s) => s.chunk.text).sort()).toEqual(["re: hi 1", "re: hi 2", "re: hi 3", "re: hi 4", "re: hi 5"]);
  });

  it("keep a session's order: a photo still downloading is stored before the question sent after it", async () => {
    const seen: string[] = [];
    const { store, adapter, pipeline } = setupPipeline(cleanup, async (i) => {
      seen.push(i.text);
      return echo(i);
    });
    let download!: () => void;
    const downloaded = new Promise<void>((r) => (download = r));
    const photo = msg("1", "", {
      media: [{ kind: "image", mimeType: "image/png", fetch: async () => (await downloaded, Buffer.from("png")) }],
    });
    const first = pipeline.accept(photo);
    const second = pipeline.accept(msg("2", "what is in this photo?"));
    const other = pipeline.accept(msg("3", "hello", { senderId: "u2", chatId: "c2" })); // another session does not wait
    await other;
    await new Promise((r) => setTimeout(r, 20));
    expect(store.delivery.pendingInbound("test:dm:u1")).toEqual([]); // the question waits for the photo
    download();
    await Promise.all([first, second]);
    const order = (store.db.prepare("SELECT message_id FROM inbox WHERE session_key = 'test:dm:u1' ORDER BY id").all() as { message_id: string }[]).map((r) => r.message_id);
    expect(order).toEqual(["1", "2"]);
    await until(() => adapter.sent.length >= 2, "the answers");
    expect(seen.find((t) => t.includes("what is in this photo?"))).toBeDefined();
  });
});
