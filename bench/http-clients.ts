// CPU per call of the daemon's per-message HTTP calls, each way it can make
// them: the model's /chat/completions through the openai SDK (streamed and
// whole) and the Telegram sendMessage through grammy, with Node's fetch and
// with the lean node:http fetch (src/net/lean-fetch.ts), beside a bare fetch
// POST (what the floor loop pays). The fake servers run in a child process so
// the figure is the client's CPU alone. CPU, not wall time: it holds on a
// busy machine. `npm run bench http` (SWITCHBOARD_BENCH_CALLS, default 3000).
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { createTelegramClient } from "../channels/telegram/client.ts";
import { resolveTelegramConfig } from "../channels/telegram/config.ts";
import OpenAI from "openai";
import { leanFetch } from "../src/net/lean-fetch.ts";
import type { FetchLike } from "../src/net/proxy.ts";
import { OpenAiCompatibleClient } from "../src/providers/protocols/openai-client.ts";
import type { CallTarget, ModelEntry } from "../src/providers/types.ts";

const TOKEN = "7000009:bench-http";
const CONCURRENCY = 16;

async function servers(): Promise<void> {
  const { startFakeLlm } = await import("../test/fakes/fake-llm.ts");
  const { FakeTelegramApi } = await import("../test/fakes/telegram-api.ts");
  const llm = await startFakeLlm();
  llm.setDefault({ reply: "ok, here is a short answer" });
  const tg = await FakeTelegramApi.start({ bots: [{ token: TOKEN }] });
  llm.requests.length = 0;
  // the fakes record every call; forget them so a long run does not grow
  setInterval(() => { llm.requests.length = 0; tg.calls.length = 0; tg.sent.length = 0; }, 200).unref();
  console.log(JSON.stringify({ llm: `${llm.url}/v1`, tg: tg.url }));
  process.stdin.resume();
  process.stdin.once("end", () => process.exit(0));
}

/** CPU microseconds per call of `fn`, run `n` times with CONCURRENCY in flight, after a warm-up */
export async function cpuPerCall(n: number, fn: (i: number) => unknown): Promise<number> {
  const runN = async (count: number) => {
    let next = 0;
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) await fn(next++);
    }));
  };
  await runN(Math.min(300, n));
  const before = process.cpuUsage();
  await runN(n);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / n;
}

const messages = [
  { role: "system" as const, content: "You are a helpful assistant. ".repeat(120) },
  { role: "user" as const, content: "hi" },
];

export async function run(): Promise<void> {
  const n = Number(process.env.SWITCHBOARD_BENCH_CALLS ?? 3000);
  const child = spawn(process.execPath, [import.meta.filename, "serve"], { stdio: ["pipe", "pipe", "inherit"] });
  const [line] = (await once(createInterface({ input: child.stdout! }), "line")) as [string];
  const { llm, tg } = JSON.parse(line) as { llm: string; tg: string };
  try {
    const sdk = (fetch: FetchLike) => new OpenAI({ apiKey: "none", baseURL: llm, maxRetries: 0, fetch: fetch as never });
    // the Telegram adapter's own fetch wrapper (channels/telegram/client.ts) bridges grammy's signal
    const grammy = (fetch: FetchLike) => createTelegramClient(resolveTelegramConfig({ enabled: true, token: TOKEN, api_base: tg }), { timeoutSeconds: 60 }, fetch).api;
    const globalFetch: FetchLike = (i, o) => fetch(i, o);
    const streamed = (c: OpenAI) => async () => {
      const s = await c.chat.completions.create({ model: "m", messages, stream: true, stream_options: { include_usage: true } });
      for await (const _ of s);
    };
    const whole = (c: OpenAI) => () => c.chat.completions.create({ model: "m", messages });
    const send = (a: ReturnType<typeof grammy>) => (i: number) => a.sendMessage(10_000_000 + (i % 50), "ok, here is a short answer");
    // the daemon's own provider client (what a channel turn calls), streamed and whole
    const entry = { id: "m#0", modelName: "m", model: "openai/m", vendor: "openai", protocol: "openai", modelId: "m", apiBase: llm, apiKeys: ["none"], requestTimeoutMs: 60_000, enabled: true, source: "model_list" } as ModelEntry;
    const target: CallTarget = { entry, apiKey: "none", keyIndex: 0 };
    const ours = new OpenAiCompatibleClient();
    const req = { messages: messages.map((m) => ({ role: m.role, content: m.content })) };
    const rows: [string, (i: number) => Promise<unknown>][] = [
      ["bare fetch POST /chat/completions (the floor's way)", () => fetch(`${llm}/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "m", messages }) }).then((r) => r.json())],
      ["openai SDK, streamed, Node fetch", streamed(sdk(globalFetch))],
      ["openai SDK, streamed, lean fetch", streamed(sdk(leanFetch))],
      ["openai SDK, whole answer, Node fetch", whole(sdk(globalFetch))],
      ["openai SDK, whole answer, lean fetch", whole(sdk(leanFetch))],
      ["grammy sendMessage, Node fetch", send(grammy(globalFetch))],
      ["grammy sendMessage, lean fetch", send(grammy(leanFetch))],
      ["provider client stream() (a channel turn's call)", async () => { for await (const _ of ours.stream(target, req)); }],
      ["provider client chat()", () => ours.chat(target, req)],
    ];
    console.log(`CPU per call (client side, ${n} calls, ${CONCURRENCY} in flight)`);
    const only = process.env.SWITCHBOARD_BENCH_ONLY;
    for (const [label, fn] of rows) if (!only || label.includes(only)) console.log(`  ${label.padEnd(52)} ${(await cpuPerCall(n, fn)).toFixed(0).padStart(5)} µs`);
  } finally {
    child.stdin!.end();
    child.kill();
  }
}

if (process.argv[2] === "serve") await servers();
else if (import.meta.main) await run();
