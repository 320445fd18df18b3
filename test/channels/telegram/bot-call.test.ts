// The direct Bot API call (channels/telegram/bot-call.ts) against grammy's own
// call, side by side on one raw server: the same bytes on the wire, and the
// same error for every failure the sender and toChannelError tell apart (429
// with retry_after, a markup 400, 403, a migrated group, a server's HTML page,
// a refused connection, the timeout). Then the sender against
// telegram-test-api, a third-party Bot API emulator from npm.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import TelegramServerModule from "telegram-test-api";
import { createTelegramClient, toChannelError } from "../../../channels/telegram/client.ts";
import { resolveTelegramConfig } from "../../../channels/telegram/config.ts";
import { TelegramSender } from "../../../channels/telegram/send.ts";
import { silentLogger } from "../../../src/core/logger.ts";

// the package's CommonJS entry is the class itself, typed as the default export of an ES module
type EmulatorClass = typeof TelegramServerModule.default;
const TelegramServer = ((TelegramServerModule as { default?: EmulatorClass }).default ?? TelegramServerModule) as EmulatorClass;
const TOKEN = "123456:test-token-abc";
type Seen = { method: string; url: string; headers: IncomingMessage["headers"]; body: string };
let server: Server;
let root: string;
const seen: Seen[] = [];
/** what the server answers next: status and body text, or nothing (hangs until closed) */
let answer: (() => { status: number; body: string; type?: string } | undefined) | undefined;
const held: ServerResponse[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => (body += c));
    req.on("end", () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      const a = answer ? answer() : { status: 200, body: JSON.stringify({ ok: true, result: { message_id: seen.length } }) };
      if (!a) return void held.push(res);
      res.writeHead(a.status, { "content-type": a.type ?? "application/json" }).end(a.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  root = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const r of held) r.destroy();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});
beforeEach(() => {
  seen.length = 0;
  answer = undefined;
});

const client = (timeoutSeconds = 60, apiRoot = root) => createTelegramClient(resolveTelegramConfig({ enabled: true, token: TOKEN, api_base: apiRoot }), { timeoutSeconds });
const apiFailure = (error_code: number, description: string, parameters?: object) => () => ({ status: error_code, body: JSON.stringify({ ok: false, error_code, description, ...(parameters ? { parameters } : {}) }) });

/** every own field of an error, its class and its cause's class and message */
function shape(err: unknown): unknown {
  const e = err as Error & { error?: unknown };
  const inner = e.error instanceof Error ? { cls: e.error.constructor.name, message: e.error.message } : e.error;
  return { cls: e.constructor.name, ...Object.fromEntries(Object.entries(e)), message: e.message, error: inner };
}

describe("Telegram Bot API call without grammy's call stack", () => {
  it("sends the same request as grammy's sendMessage and sendChatAction, byte for byte", async () => {
    const c = client();
    const extra = { message_thread_id: 42, reply_parameters: { message_id: 77, allow_sending_without_reply: true } };
    await c.api.sendMessage(-100500, "<b>hi</b> ünïcödé 🙂", { ...extra, parse_mode: "HTML" });
    await c.call("sendMessage", { chat_id: -100500, text: "<b>hi</b> ünïcödé 🙂", ...extra, parse_mode: "HTML" });
    await c.api.sendMessage("@channel", "plain");
    await c.call("sendMessage", { chat_id: "@channel", text: "plain" });
    await c.api.sendChatAction(555, "typing", { message_thread_id: 3 });
    await c.call("sendChatAction", { chat_id: 555, action: "typing", message_thread_id: 3 });
    expect(seen).toHaveLength(6);
    for (let i = 0; i < 6; i += 2) expect(seen[i + 1]).toEqual(seen[i]);
    expect(seen[0]!.url).toBe(`/bot${TOKEN}/sendMessage`);
    expect(seen[0]!.headers["content-type"]).toBe("application/json");
  });

  it("returns the call's result as grammy does", async () => {
    const c = client();
    answer = () => ({ status: 200, body: JSON.stringify({ ok: true, result: { message_id: 9, chat: { id: 1 } } }) });
    expect(await c.call("sendMessage", { chat_id: 1, text: "x" })).toEqual(await c.api.sendMessage(1, "x"));
  });

  it.each([
    ["429 with retry_after", apiFailure(429, "Too Many Requests: retry after 3", { retry_after: 3 })],
    ["a markup 400", apiFailure(400, "Bad Request: can't parse entities: Unsupported start tag \"x\" at byte offset 3")],
    ["403", apiFailure(403, "Forbidden: bot was blocked by the user")],
    ["a migrated group", apiFailure(400, "Bad Request: group chat was upgraded to a supergroup chat", { migrate_to_chat_id: -1001234 })],
    ["a 401", apiFailure(401, "Unauthorized")],
    ["a proxy's HTML page", () => ({ status: 502, body: "<html>Bad Gateway</html>", type: "text/html" })],
  ])("throws what grammy throws for %s, and toChannelError reads it the same", async (_what, fails) => {
    const c = client();
    answer = fails;
    const theirs = await c.api.sendMessage(7, "x", { parse_mode: "HTML" }).catch((e: unknown) => e);
    const mine = await c.call("sendMessage", { chat_id: 7, text: "x", parse_mode: "HTML" }).catch((e: unknown) => e);
    expect(shape(mine)).toEqual(shape(theirs));
    const [a, b] = [toChannelError(mine, "sendMessage", (s) => s), toChannelError(theirs, "sendMessage", (s) => s)];
    expect({ ...a, message: a.message }).toEqual({ ...b, message: b.message });
  });

  it("throws what grammy throws for a refused connection and for the timeout", async () => {
    const gone = await new Promise<string>((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const port = (s.address() as AddressInfo).port;
        s.close(() => resolve(`http://127.0.0.1:${port}`));
      });
    });
    const refused = client(60, gone);
    const [theirs, mine] = [await refused.api.sendMessage(7, "x").catch((e: unknown) => e), await refused.call("sendMessage", { chat_id: 7, text: "x" }).catch((e: unknown) => e)];
    expect(shape(mine)).toEqual(shape(theirs));

    const slow = client(0.2);
    answer = () => undefined;
    const [t1, t2] = [await slow.api.sendMessage(7, "x").catch((e: unknown) => e), await slow.call("sendMessage", { chat_id: 7, text: "x" }).catch((e: unknown) => e)];
    expect(shape(t2)).toEqual(shape(t1));
    expect((t2 as { error: Error }).error.message).toBe("Request to 'sendMessage' timed out after 0.2 seconds");
  });
});

describe("the sender against telegram-test-api (npm)", () => {
  it("delivers a Markdown reply as HTML into the chat, and its message id comes back", async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const emulator = new TelegramServer({ port, host: "127.0.0.1", storeTimeout: 60 });
    await emulator.start();
    try {
      const user = emulator.getClient(TOKEN, { chatId: 4242, timeout: 2000 });
      const sender = new TelegramSender(client(60, emulator.config.apiURL), silentLogger());
      const sent = await sender.send("4242", { text: "**done**, see `x`", format: "markdown" });
      const updates = await user.getUpdates();
      expect(updates.result).toHaveLength(1);
      const msg = updates.result[0]!.message as unknown as { text: string; parse_mode?: string; chat_id: number };
      expect(msg).toMatchObject({ text: "<b>done</b>, see <code>x</code>", parse_mode: "HTML", chat_id: 4242 });
      expect(sent.messageId).toBe(String(updates.result[0]!.messageId));
    } finally {
      await emulator.stop();
    }
  });
});
