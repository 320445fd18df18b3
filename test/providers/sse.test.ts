// The event-stream reader the OpenAI-compatible client streams with: events
// split anywhere across network chunks, every line ending, multi-line data,
// comments and named events; and what the client makes of error events and
// broken JSON mid-stream.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { ChatDelta } from "../../src/core/chat.ts";
import { AnthropicClient } from "../../src/providers/protocols/anthropic-client.ts";
import { OpenAiCompatibleClient } from "../../src/providers/protocols/openai-client.ts";
import { sseEvents, type SseEvent } from "../../src/providers/protocols/sse.ts";
import { ProviderError } from "../../src/providers/types.ts";
import { entry, target } from "./entries.ts";

async function events(...chunks: (string | Uint8Array)[]): Promise<SseEvent[]> {
  async function* body() {
    for (const c of chunks) yield typeof c === "string" ? new TextEncoder().encode(c) : c;
  }
  const out: SseEvent[] = [];
  for await (const e of sseEvents(body())) out.push(e);
  return out;
}

/** `text` read whole and split in two at every point gives `want` */
async function expectAtEverySplit(text: string, want: SseEvent[]): Promise<void> {
  expect(await events(text)).toEqual(want);
  for (let i = 1; i < text.length; i++) expect(await events(text.slice(0, i), text.slice(i))).toEqual(want);
}

describe("sseEvents", () => {
  it("reads events whatever the chunking and line endings", async () => {
    const text = 'data: {"a":1}\n\n: keep-alive comment\r\n\r\nevent: ping\ndata: x\n\ndata: one\r\ndata:two\r\rdata: [DONE]\n\n';
    const want = [
      { event: "", data: '{"a":1}' },
      { event: "ping", data: "x" },
      { event: "", data: "one\ntwo" },
      { event: "", data: "[DONE]" },
    ];
    // whole, and at every split point (a CRLF torn in two included)
    await expectAtEverySplit(text, want);
    // one byte at a time, a multi-byte character torn apart
    const bytes = new TextEncoder().encode('data: {"t":"héllo ✓"}\n\n');
    expect(await events(...[...bytes].map((b) => new Uint8Array([b])))).toEqual([{ event: "", data: '{"t":"héllo ✓"}' }]);
  });

  it("reads each field as the format says: one leading space dropped, colons in values kept, id/retry/unknown fields skipped, a field without a colon empty", async () => {
    await expectAtEverySplit("event\ndata: a:b\n\nevent: named\ndata:x\ndata:  two\nid: 7\nretry: 10\nfoo: bar\n\nevent: gone\nevent\ndata\n\n", [
      { event: "", data: "a:b" },
      { event: "named", data: "x\n two" },
      { event: "", data: "" },
    ]);
  });

  it("keeps an event the stream ends in without its blank line, and skips empty events", async () => {
    expect(await events("data: last")).toEqual([{ event: "", data: "last" }]);
    expect(await events("event: nothing\n\n\n\ndata\n\n")).toEqual([{ event: "", data: "" }]);
  });
});

describe("provider streams (OpenAI-compatible and Anthropic), read with sseEvents", () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
  });

  async function streaming(events: string[]): Promise<string> {
    server = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        res.writeHead(200, { "content-type": "text/event-stream" });
        for (const e of events) res.write(e);
        res.end();
      });
    });
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  }

  const chunk = (content: string) => `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;
  const run = async (apiBase: string) => {
    const e = entry({ apiBase });
    const out: ChatDelta[] = [];
    try {
      for await (const d of new OpenAiCompatibleClient().stream(target(e), { messages: [{ role: "user", content: "hi" }] })) out.push(d);
    } catch (err) {
      return { out, err: err as ProviderError };
    }
    return { out, err: undefined };
  };

  it("assembles the text and stops at [DONE]", async () => {
    const { out, err } = await run(await streaming([chunk("Hel"), chunk("lo"), `data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: "stop" }], usage: { prompt_tokens: 3, completion_tokens: 2 } })}\n\n`, "data: [DONE]\n\n", chunk("after done")]));
    expect(err).toBeUndefined();
    expect(out.filter((d) => d.type === "text").map((d) => (d as { text: string }).text)).toEqual(["Hel", "lo"]);
    expect(out.at(-1)).toMatchObject({ type: "done", result: { content: "Hello", finishReason: "stop", usage: { promptTokens: 3, completionTokens: 2 } } });
  });

  it("ends with a network failure naming the server's error event, or the broken JSON", async () => {
    const failed = await run(await streaming([chunk("Hi"), `data: ${JSON.stringify({ error: { message: "upstream provider overloaded" } })}\n\n`]));
    expect(failed.err).toBeInstanceOf(ProviderError);
    expect(failed.err).toMatchObject({ reason: "network" });
    expect(failed.err!.message).toMatch(/upstream provider overloaded/);

    server!.closeAllConnections();
    await new Promise((r) => server!.close(r));
    const broken = await run(await streaming([chunk("Hi"), "data: {not json\n\n"]));
    expect(broken.err).toMatchObject({ reason: "network" });
    expect(broken.err!.message).toMatch(/malformed server-sent event JSON/);
  });

  it("reads an Anthropic stream (pings skipped) and classifies its error event", async () => {
    const ev = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    const opening = [
      ev("message_start", { type: "message_start", message: { model: "claude-x", usage: { input_tokens: 7 } } }),
      ev("ping", { type: "ping" }),
      ev("content_block_start", { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }),
      ev("content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Hi!" } }),
    ];
    const anthropic = async (events: string[]) => {
      const apiBase = (await streaming(events)).replace(/\/v1$/, "");
      const e = entry({ apiBase, protocol: "anthropic", model: "anthropic-messages/claude-x", vendor: "anthropic", modelId: "claude-x" });
      const out: ChatDelta[] = [];
      try {
        for await (const d of new AnthropicClient().stream(target(e), { messages: [{ role: "user", content: "hi" }] })) out.push(d);
        return { out, err: undefined };
      } catch (err) {
        return { out, err: err as ProviderError };
      }
    };
    const ok = await anthropic([...opening, ev("message_delta", { type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 2 } }), ev("message_stop", { type: "message_stop" })]);
    expect(ok.err).toBeUndefined();
    expect(ok.out.at(-1)).toMatchObject({ type: "done", result: { content: "Hi!", usage: { promptTokens: 7, completionTokens: 2 } } });

    server!.closeAllConnections();
    await new Promise((r) => server!.close(r));
    const overloaded = await anthropic([...opening, ev("error", { type: "error", error: { type: "overloaded_error", message: "Overloaded" } })]);
    expect(overloaded.err).toBeInstanceOf(ProviderError);
    expect(overloaded.err).toMatchObject({ reason: "overloaded" });
  });
});
