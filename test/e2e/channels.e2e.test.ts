// The channel seams through the real daemon: webhook routes follow the live
// adapter across a reload, and an adapter-invalid value is a config error
// (exit 78 at start, a refused reload) rather than a crash.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../cli/run-cli.ts";
import { startFakeLlm, type FakeLlm } from "../fakes/fake-llm.ts";
import { FakeTelegramApi } from "../fakes/telegram-api.ts";
import { startDaemon, waitFor, writeConfig, type RunningDaemon } from "./daemon.ts";

let llm: FakeLlm;
let tg: FakeTelegramApi;
let home: string;
let daemon: RunningDaemon | undefined;

const OWNER = 1001;
const FRIEND = 3003;
const SECRET = "hook-secret-1";

beforeAll(async () => {
  llm = await startFakeLlm();
  tg = await FakeTelegramApi.start();
});
afterAll(async () => {
  await Promise.all([llm.close(), tg.close()]);
});
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), "sb-e2e-ch-"));
  llm.requests.length = 0;
  tg.sent.length = 0;
  llm.setDefault((req) => ({ reply: `echo: ${JSON.stringify((req.body.messages as { content: unknown }[]).at(-1)!.content)}` }));
});
afterEach(async () => {
  await daemon?.stop();
  daemon = undefined;
  rmSync(home, { recursive: true, force: true });
});

function config(telegram: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return {
    model_list: [{ model_name: "main", model: "openai/main-model", api_base: `${llm.url}/v1`, api_key: "sk-main-1234567890" }],
    agents: { defaults: { model_name: "main" } },
    channels: {
      telegram: {
        enabled: true,
        token: tg.token,
        api_base: tg.url,
        allow_from: [String(OWNER)],
        mode: "webhook",
        webhook_url: "https://bot.example.com/webhook/telegram",
        webhook_secret: SECRET,
        ...telegram,
      },
      ...extra,
    },
  };
}

async function ready(d: RunningDaemon): Promise<void> {
  await waitFor(async () => (await fetch(`${d.url}/ready`)).status === 200 || undefined, "/ready", 15_000);
}

const textsTo = (chatId: number) => tg.sent.filter((m) => String(m.chat_id) === String(chatId)).map((m) => m.text ?? "");

function post(id: number, from: number, text: string): Promise<Response> {
  const update = { update_id: id, message: { message_id: id, date: 1, chat: { id: from, type: "private" }, from: { id: from, is_bot: false, first_name: "U" }, text } };
  return fetch(`${daemon!.url}/webhook/telegram`, { method: "POST", headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": SECRET }, body: JSON.stringify(update) });
}

describe("channels end to end", () => {
  it("keeps the Telegram webhook answering after a reload restarts the channel", async () => {
    writeConfig(home, config());
    daemon = await startDaemon(home);
    await ready(daemon);
    expect((await post(1, OWNER, "before")).status).toBe(200);
    await waitFor(() => textsTo(OWNER)[0], "reply before reload");
    // an adapter key (not only allow_from, which swaps in place) makes the reload restart the channel
    writeConfig(home, config({ allow_from: [String(OWNER), String(FRIEND)], allowed_updates: ["message", "edited_message"] }));
    daemon.child.kill("SIGHUP");
    await waitFor(() => daemon!.log.some((l) => l.includes("channel restarted with its new config")) || undefined, "channel restart");
    await ready(daemon);
    // the route now reaches the new adapter, with the new allow-list
    expect((await post(2, FRIEND, "after")).status).toBe(200);
    await waitFor(() => textsTo(FRIEND)[0], "reply after reload");
    expect(textsTo(FRIEND)).toEqual(['echo: "after"']);
  });

  it("refuses an adapter-invalid value at start with exit 78, naming the key and the fix", async () => {
    writeConfig(home, config({}, { whatsapp: { enabled: true, bridge_url: "http://localhost:3001" } }));
    const run = await runCli(["gateway"], { HOME: home, SWITCHBOARD_HOME: home, SWITCHBOARD_GATEWAY_PORT: "0" });
    expect(run.code).toBe(78);
    expect(run.stderr).toMatch(/channels\.whatsapp\.bridge_url: must be a WebSocket URL such as "ws:\/\/localhost:3001"/);
  });

  it("refuses a reload with an adapter-invalid value and keeps serving the running config", async () => {
    writeConfig(home, config());
    daemon = await startDaemon(home);
    await ready(daemon);
    writeConfig(home, config({}, { whatsapp: { enabled: true, bridge_url: "http://localhost:3001" } }));
    daemon.child.kill("SIGHUP");
    await waitFor(() => daemon!.log.some((l) => l.includes("config reload refused") && l.includes("channels.whatsapp.bridge_url")) || undefined, "refusal");
    expect(daemon.child.exitCode).toBeNull();
    expect((await post(3, OWNER, "still here")).status).toBe(200);
    await waitFor(() => textsTo(OWNER)[0], "reply after refused reload");
  });
});
