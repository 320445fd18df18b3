// CPU per call of what runs for every message outside SQLite, each part on
// its own (issue 12): the model call through the provider client and the
// Telegram sendMessage through the adapter's sender, each over the real
// network path (fakes in a child process, so the figure is the client's CPU
// alone) and over an in-process transport that answers at once (so the figure
// is the library's and our own work, without the socket), beside a bare
// node:http POST; and the small per-message steps: an update's shape check
// and normalization, the reply's Telegram HTML, the latency metrics. Rows run
// one after another in one process: compare rows of one run.
// `npm run bench "turn calls"` (SWITCHBOARD_BENCH_CALLS, default 3000; SWITCHBOARD_BENCH_ONLY filters
// rows). SWITCHBOARD_BENCH_AB=<dir> (a checkout of other code, e.g. `git archive main src channels`
// unpacked there) runs every row against that code too, alternately, for a back-to-back A/B.
import { spawn } from "node:child_process";
import { once } from "node:events";
import http from "node:http";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import type { FetchLike } from "../src/net/proxy.ts";
import { bytesPerCall } from "./alloc-per-call.ts";
import { cpuPerCall } from "./http-clients.ts";
import type { CallTarget, ModelEntry, ProviderClient } from "../src/providers/types.ts";
import type { ChatRequest } from "../src/core/chat.ts";
import { defaultHiRequest } from "./request-size.ts";

const TOKEN = "7000009:bench-http";
const CONCURRENCY = 16; // as in http-clients.ts, whose cpuPerCall runs the rows

const REPLY = "ok, here is a short answer";

/** answers like the fakes, without a socket: the chat-completions stream, a whole completion, a sent message */
const instantTransport: FetchLike = async (input, init) => {
  const url = String(input);
  const body = JSON.parse(String(init?.body ?? "{}")) as { stream?: boolean; chat_id?: number; text?: string };
  const json = (v: unknown) => new Response(JSON.stringify(v), { status: 200, headers: { "content-type": "application/json" } });
  if (url.endsWith("/sendMessage")) return json({ ok: true, result: { message_id: 1, date: 0, chat: { id: body.chat_id, type: "private" }, text: body.text } });
  const usage = { prompt_tokens: 400, completion_tokens: 7, total_tokens: 407 };
  if (!body.stream) return json({ id: "c", object: "chat.completion", created: 0, model: "m", choices: [{ index: 0, message: { role: "assistant", content: REPLY }, finish_reason: "stop" }], usage });
  const chunk = (v: unknown) => `data: ${JSON.stringify(v)}\n\n`;
  const sse = chunk({ id: "c", object: "chat.completion.chunk", model: "m", choices: [{ index: 0, delta: { role: "assistant", content: REPLY }, finish_reason: null }] })
    + chunk({ id: "c", object: "chat.completion.chunk", model: "m", choices: [{ index: 0, delta: {}, finish_reason: "stop" }] })
    + chunk({ id: "c", object: "chat.completion.chunk", model: "m", choices: [], usage }) + "data: [DONE]\n\n";
  return new Response(sse, { status: 200, headers: { "content-type": "text/event-stream" } });
};

/** the same bytes the provider client sends for `hi`, without any library */
/**
 * A long streamed answer (300 text deltas, ~15 KB) arriving in 60 reads of ~5 events, as a
 * socket hands over a fast model's stream: what a real reply costs per delta on top of the call.
 */
const longStream: FetchLike = async () => {
  const event = (v: unknown) => `data: ${JSON.stringify(v)}\n\n`;
  const delta = event({ id: "c", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta: { content: "tok " }, finish_reason: null }] });
  const text = delta.repeat(300) + event({ id: "c", object: "chat.completion.chunk", model: "m", choices: [{ index: 0, delta: {}, finish_reason: "stop" }] }) + "data: [DONE]\n\n";
  const bytes = new TextEncoder().encode(text);
  const size = Math.ceil(bytes.length / 60);
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      for (let i = 0; i < bytes.length; i += size) c.enqueue(bytes.subarray(i, i + size));
      c.close();
    },
  });
  return new Response(body, { status: 200, headers: { "content-type": "text/event-stream" } });
};

function bareNodePost(base: string, hi: ChatRequest): () => Promise<unknown> {
  const agent = new http.Agent({ keepAlive: true });
  const url = new URL(`${base}/chat/completions`);
  return () => new Promise((resolve, reject) => {
    const body = JSON.stringify({ model: "m", messages: hi.messages, tools: hi.tools?.map((t) => ({ type: "function", function: t })) });
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: "POST", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve(JSON.parse(Buffer.concat(chunks).toString())));
    });
    req.on("error", reject);
    req.end(body);
  });
}

const UPDATE = {
  update_id: 1000,
  message: { message_id: 77, date: 1_700_000_000, chat: { id: 10_000_001, type: "private", first_name: "Ann" }, from: { id: 10_000_001, is_bot: false, first_name: "Ann", username: "ann" }, text: "hi, what's the time in Lisbon?" },
};

/** the modules a row calls, from this checkout or another (the A/B) */
async function load(root: string) {
  const m = (p: string) => import(pathToFileURL(resolve(root, p)).href);
  const [client, config, format, normalize, schema, send, logger, metrics, lean, openai, router] = await Promise.all([
    m("channels/telegram/client.ts"), m("channels/telegram/config.ts"), m("channels/telegram/format.ts"), m("channels/telegram/normalize.ts"),
    m("channels/telegram/schema.ts"), m("channels/telegram/send.ts"), m("src/core/logger.ts"), m("src/gateway/metrics.ts"),
    m("src/net/lean-fetch.ts"), m("src/providers/protocols/openai-client.ts"), m("src/providers/router/index.ts"),
  ]);
  return {
    createTelegramClient: client.createTelegramClient as typeof import("../channels/telegram/client.ts").createTelegramClient,
    resolveTelegramConfig: config.resolveTelegramConfig as typeof import("../channels/telegram/config.ts").resolveTelegramConfig,
    markdownToTelegramHtml: format.markdownToTelegramHtml as typeof import("../channels/telegram/format.ts").markdownToTelegramHtml,
    normalizeUpdate: normalize.normalizeUpdate as typeof import("../channels/telegram/normalize.ts").normalizeUpdate,
    parseUpdate: schema.parseUpdate as typeof import("../channels/telegram/schema.ts").parseUpdate,
    TelegramSender: send.TelegramSender as typeof import("../channels/telegram/send.ts").TelegramSender,
    silentLogger: logger.silentLogger as typeof import("../src/core/logger.ts").silentLogger,
    GatewayMetrics: metrics.GatewayMetrics as typeof import("../src/gateway/metrics.ts").GatewayMetrics,
    leanFetch: lean.leanFetch as FetchLike,
    OpenAiCompatibleClient: openai.OpenAiCompatibleClient as typeof import("../src/providers/protocols/openai-client.ts").OpenAiCompatibleClient,
    createRouter: router.createRouter as typeof import("../src/providers/router/index.ts").createRouter,
  };
}

async function rowsOf(root: string, llm: string, tg: string, hi: ChatRequest): Promise<[string, (i: number) => unknown][]> {
  const { createTelegramClient, resolveTelegramConfig, markdownToTelegramHtml, normalizeUpdate, parseUpdate, TelegramSender, silentLogger, GatewayMetrics, leanFetch, OpenAiCompatibleClient, createRouter } = await load(root);
  const entry = (apiBase: string) => ({ id: "m#0", modelName: "m", model: "openai/m", vendor: "openai", protocol: "openai", modelId: "m", apiBase, apiKeys: ["none"], requestTimeoutMs: 60_000, enabled: true, source: "model_list" }) as ModelEntry;
  const [toFake, toInstant] = [entry(llm), entry("http://model.invalid/v1")];
  const target = (e: ModelEntry): CallTarget => ({ entry: e, apiKey: "none", keyIndex: 0 });
  // the daemon's own first request: "hi" with the default system prompt and tool schemas (bench/request-size.ts)
  const req = { ...hi, signal: new AbortController().signal };
  const real = new OpenAiCompatibleClient();
  // an older checkout's client may take no transport: its calls then go over the network (say so)
  const instant = new (OpenAiCompatibleClient as unknown as new (t: FetchLike) => InstanceType<typeof OpenAiCompatibleClient>)(instantTransport);
  const sender = (transport: FetchLike) => new TelegramSender(createTelegramClient(resolveTelegramConfig({ enabled: true, token: TOKEN, api_base: tg }), { timeoutSeconds: 60 }, transport), silentLogger());
  const realSend = sender(leanFetch);
  const instantSend = sender(instantTransport);
  const long = new (OpenAiCompatibleClient as unknown as new (t: FetchLike) => InstanceType<typeof OpenAiCompatibleClient>)(longStream);
  const chunk = { text: REPLY, format: "markdown" as const };
  const metrics = new GatewayMetrics({ counters: { inbound: 0, duplicates: 0 }, readiness: () => ({ ready: true, detail: {} }), status: () => ({}) });
  await metrics.load();
  const adapter = metrics.timedAdapter({ id: "telegram", send: async () => ({ messageId: "1" }) } as never)!;
  const bot = { id: 7000009, username: "bench_bot" };
  // the router's part of a streamed answer of 300 deltas (a few paragraphs), with the turn's signal as a channel turn passes it
  const done = { content: "x", toolCalls: [], finishReason: "stop" as const };
  const deltas: ProviderClient = { chat: async () => done, async *stream() { for (let i = 0; i < 300; i++) yield { type: "text", text: "tok " }; yield { type: "done", result: done }; } };
  const streamEntry = entry("http://model.invalid/v1");
  const router = createRouter({ directory: { all: () => [streamEntry], lookup: (r) => (r === "m" ? [streamEntry] : []) }, defaults: { primary: "m", fallbacks: [] }, clientFor: () => deltas });
  return [
    ["bare node:http POST /chat/completions (no library)", bareNodePost(llm, hi)],
    ["provider client stream(), fake server", async () => { for await (const _ of real.stream(target(toFake), req)); }],
    ["provider client chat(), fake server", () => real.chat(target(toFake), req)],
    ["provider client stream(), instant transport", async () => { for await (const _ of instant.stream(target(toInstant), req)); }],
    ["provider client chat(), instant transport", () => instant.chat(target(toInstant), req)],
    ["provider client stream() of 300 deltas (per stream)", async () => { for await (const _ of long.stream(target(toInstant), req)); }],
    ["telegram sender send(), fake server", (i) => realSend.send(String(10_000_000 + (i % 50)), chunk)],
    ["telegram sender send(), instant transport", (i) => instantSend.send(String(10_000_000 + (i % 50)), chunk)],
    ["router stream() of 300 deltas (per stream)", async () => { for await (const _ of router.stream(req, { signal: req.signal })); }],
    ["update shape check + normalize", () => { const p = parseUpdate(UPDATE); if (p.ok) normalizeUpdate(p.update, bot, () => undefined as never); }],
    ["reply as Telegram HTML", () => markdownToTelegramHtml(REPLY)],
    ["turn + send latency metrics", async () => { await metrics.timeTurn("telegram", async () => 1); await adapter.send("1", chunk); }],
  ];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

export async function run(): Promise<void> {
  const n = Number(process.env.SWITCHBOARD_BENCH_CALLS ?? 3000);
  const child = spawn(process.execPath, [new URL("./http-clients.ts", import.meta.url).pathname, "serve"], { stdio: ["pipe", "pipe", "inherit"] });
  const [line] = (await once(createInterface({ input: child.stdout! }), "line")) as [string];
  const { llm, tg } = JSON.parse(line) as { llm: string; tg: string };
  try {
    const ab = process.env.SWITCHBOARD_BENCH_AB;
    const here = resolve(import.meta.dirname, "..");
    const { request: hi } = await defaultHiRequest();
    const sides: [string, [string, (i: number) => unknown][]][] = [["", await rowsOf(here, llm, tg, hi)]];
    if (ab) sides.unshift(["A ", await rowsOf(resolve(ab), llm, tg, hi)]), (sides[1]![0] = "B ");
    console.log(`CPU and bytes allocated per call (${n} calls, ${CONCURRENCY} in flight)${ab ? `; A = ${ab}, B = this checkout, alternately` : ""}`);
    const only = process.env.SWITCHBOARD_BENCH_ONLY;
    // SWITCHBOARD_BENCH_ALLOC_TOP=N: also the N functions that allocated most per call
    const allocTop = Number(process.env.SWITCHBOARD_BENCH_ALLOC_TOP ?? 0);
    const rounds = Number(process.env.SWITCHBOARD_BENCH_ROUNDS ?? (ab ? 3 : 1));
    for (let r = 0; r < sides[0]![1].length; r++) {
      const label = sides[0]![1][r]![0];
      if (only && !label.includes(only)) continue;
      // rounds alternate the sides, so a burst of other load hits both; the median of each side is the figure
      const figures = sides.map(() => [] as number[]);
      for (let k = 0; k < rounds; k++) {
        for (let i = 0; i < sides.length; i++) figures[i]!.push(await cpuPerCall(n, sides[i]![1][r]![1]));
      }
      for (let i = 0; i < sides.length; i++) {
        const each = rounds > 1 ? `  (${figures[i]!.map((f) => f.toFixed(0)).join(", ")})` : "";
        // allocation is a count, not a time: one run per side, after the timed rounds
        const alloc = await bytesPerCall(n, CONCURRENCY, sides[i]![1][r]![1], allocTop);
        console.log(`  ${sides[i]![0]}${label.padEnd(52)} ${median(figures[i]!).toFixed(1).padStart(7)} µs ${(alloc.bytes / 1024).toFixed(1).padStart(6)} KB allocated${each}`);
        for (const line of alloc.top) console.log(`      ${line}`);
      }
    }
  } finally {
    child.stdin!.end();
    child.kill();
  }
}

if (import.meta.main) await run();
