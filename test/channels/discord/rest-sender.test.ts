// Without a proxy, the REST calls (login, sends, files) go over the lean
// node:http fetch, not through undici's global dispatcher: that dispatcher is
// Node's own undici, whose first connection compiles llhttp's WebAssembly.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fileChunk, PDF } from "../../fakes/sample-files.ts";
import { startHarness, type Harness } from "./harness.ts";

const GLOBAL_DISPATCHER = Symbol.for("undici.globalDispatcher.1");
type Dispatcher = { dispatch: (...args: unknown[]) => boolean };
const slot = globalThis as unknown as Record<symbol, Dispatcher | undefined>;

let h: Harness;
let dispatched = 0;
let saved: Dispatcher | undefined;

beforeAll(async () => {
  // counts what reaches the dispatcher every undici copy in the process shares, then passes it on
  saved = slot[GLOBAL_DISPATCHER];
  const { getGlobalDispatcher } = await import("undici");
  const real = saved ?? (getGlobalDispatcher() as unknown as Dispatcher);
  slot[GLOBAL_DISPATCHER] = new Proxy(real, {
    get(target, key, receiver) {
      if (key === "dispatch") return (...args: unknown[]) => (dispatched++, target.dispatch(...args));
      const v = Reflect.get(target, key, receiver) as unknown;
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  h = await startHarness();
  await h.start();
});
afterAll(async () => {
  await h.close();
  slot[GLOBAL_DISPATCHER] = saved;
});

describe("Discord REST without a proxy", () => {
  it("logs in, sends a text and a file without undici's dispatcher", async () => {
    await h.adapter.send(h.fake.guild.channelId, { text: "plain text", format: "plain" });
    await h.adapter.send(h.fake.dmChannelId(), fileChunk("file", "application/pdf", PDF, "q3-report.pdf", "with a file"));
    expect(h.fake.sent.map((s) => (s.body as { content?: string }).content)).toEqual(["plain text", "with a file"]);
    expect(h.fake.sent[1]!.files[0]!.data.equals(PDF)).toBe(true);
    expect(dispatched).toBe(0);
  });
});
