// A turn re-run after a crash must not repeat what its tool calls already
// did: the real store's journal, the real cron tool, a counting message tool.
import { afterEach, describe, expect, it } from "vitest";
import { sqliteBackend } from "../../src/store/sqlite-backend.ts";
import { z } from "zod";
import { ManualClock } from "../../src/core/clock.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { currentToolCallKey, journaledTools } from "../../src/agent/tool-journal.ts";
import { openStore, type Store } from "../../src/store/index.ts";
import { createCronTool } from "../../src/tools/cron-tool.ts";
import { ToolRegistry } from "../../src/tools/registry.ts";
import type { ToolContext, TurnOrigin } from "../../src/tools/types.ts";

const stores: Store[] = [];
afterEach(() => stores.splice(0).forEach((s) => s.close()));

function setup() {
  const store = openStore(":memory:");
  stores.push(store);
  const sent: { text: string; key: string | undefined }[] = [];
  const registry = new ToolRegistry()
    .register(createCronTool({ store: store.cron }))
    .register({
      name: "message",
      description: "send",
      schema: z.object({ text: z.string() }),
      async run(args: { text: string }) {
        sent.push({ text: args.text, key: currentToolCallKey() });
        return `sent ${args.text}`;
      },
    })
    .register({ name: "web_fetch", description: "read", schema: z.object({ url: z.string() }), run: async (a: { url: string }) => `page ${a.url} #${++fetches}` });
  let fetches = 0;
  const tools = journaledTools(registry, sqliteBackend(store).journal);
  return { store, sent, tools, fetches: () => fetches };
}

/** a fresh origin object per run, as the gateway builds one per run of a turn */
const run = (turnId: string): ToolContext => {
  const origin: TurnOrigin = { sessionKey: "telegram:1", channel: "telegram", chatId: "1", turnId };
  return { origin, signal: new AbortController().signal, logger: silentLogger(), clock: new ManualClock(Date.UTC(2026, 0, 1)) };
};

const cronAdd = (id: string) => ({ id, name: "cron", arguments: JSON.stringify({ action: "add", message: "stretch", at_seconds: 600 }) });
const message = (id: string, text: string) => ({ id, name: "message", arguments: JSON.stringify({ text }) });

describe("journaled tool calls", () => {
  it("a re-run of the same turn reuses the results: one message, one cron job", async () => {
    const { store, sent, tools } = setup();
    const first = run("inbox:7");
    const a = await tools.execute(message("call_a", "hi"), first);
    const b = await tools.execute(cronAdd("call_b"), first);
    // the process dies here; after the restart the model asks for the same calls, with new ids
    const again = run("inbox:7");
    const a2 = await tools.execute({ ...message("call_x", "hi"), arguments: '{ "text" : "hi" }' }, again);
    const b2 = await tools.execute(cronAdd("call_y"), again);
    expect(a2).toEqual(a);
    expect(b2).toEqual(b);
    expect(sent.map((s) => s.text)).toEqual(["hi"]);
    expect(await store.cron.list()).toHaveLength(1);
  });

  it("identical calls inside one turn each run once; another turn runs them again", async () => {
    const { store, sent, tools } = setup();
    const ctx = run("inbox:1");
    await tools.execute(message("1", "tick"), ctx);
    await tools.execute(message("2", "tick"), ctx);
    const rerun = run("inbox:1");
    await tools.execute(message("3", "tick"), rerun);
    await tools.execute(message("4", "tick"), rerun);
    await tools.execute(cronAdd("5"), run("inbox:2"));
    await tools.execute(cronAdd("6"), run("inbox:3"));
    expect(sent).toHaveLength(2);
    expect(new Set(sent.map((s) => s.key)).size).toBe(2); // each call queues under its own key
    expect(await store.cron.list()).toHaveLength(2);
  });

  it("a call cut off mid-run is re-run only when its effect is keyed; others tell the model", async () => {
    const { store, sent, tools } = setup();
    const ctx = run("inbox:9");
    // what a crash inside the calls leaves: journaled as started, no result
    const cronKey = await keyOf(tools, store, cronAdd("c"));
    const msgKey = await keyOf(tools, store, message("m", "hello"));
    sent.length = 0;
    store.journal.begin("inbox:9", cronKey, "cron", 0);
    store.journal.begin("inbox:9", msgKey, "message", 0);
    const cron = await tools.execute(cronAdd("c2"), ctx);
    expect(cron.error).toMatch(/interrupted by a gateway restart; it may or may not have taken effect/);
    expect(await store.cron.list()).toHaveLength(0);
    const msg = await tools.execute(message("m2", "hello"), ctx);
    expect(msg.text).toBe("sent hello");
    expect(sent[0]!.key).toBe(`inbox:9/${msgKey}`);
  });

  it("read-only tools run again on a re-run (fresh pages, nothing repeated that anyone notices)", async () => {
    const { tools, fetches } = setup();
    const fetch = { id: "f", name: "web_fetch", arguments: '{"url":"https://example.com"}' };
    await tools.execute(fetch, run("inbox:4"));
    await tools.execute(fetch, run("inbox:4"));
    expect(fetches()).toBe(2);
  });

  it("turns without an id (the CLI, the HTTP API) are not journaled", async () => {
    const { tools, sent, store } = setup();
    for (let i = 0; i < 2; i++) {
      const ctx = run("x");
      delete ctx.origin.turnId;
      await tools.execute(message(String(i), "again"), ctx);
    }
    expect(sent).toHaveLength(2);
    expect(store.db.prepare("SELECT count(*) AS n FROM tool_journal").get()).toEqual({ n: 0 });
  });
});

/** the journal key a call gets as the first of its kind in a turn (read back from a scratch turn) */
async function keyOf(tools: ReturnType<typeof journaledTools>, store: Store, call: { id: string; name: string; arguments: string }): Promise<string> {
  await tools.execute(call, run("scratch"));
  const row = store.db.prepare("SELECT call_key FROM tool_journal WHERE turn_id = 'scratch' AND tool = ? ORDER BY rowid DESC LIMIT 1").get(call.name) as { call_key: string };
  for (const job of await store.cron.list()) await store.cron.remove(job.id);
  return row.call_key;
}
