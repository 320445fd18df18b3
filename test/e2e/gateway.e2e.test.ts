// The real daemon against a fake Telegram Bot API, a fake Discord gateway
// and REST API, and the fake LLM: what a person chatting with the bot sees.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../cli/run-cli.ts";
import type { StartReport } from "../../src/gateway/start-timeline.ts";
import { startDaemon, waitFor, writeConfig, type RunningDaemon } from "./daemon.ts";
import { messages } from "./reload-helpers.ts";
import { dc, llm, tg, useFakes } from "./fakes-fixture.ts";

let home: string;
let daemon: RunningDaemon | undefined;

const OWNER = 1001;
const STRANGER = 2002;

useFakes();
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), "sb-e2e-"));
});
afterEach(async () => {
  await daemon?.stop();
  daemon = undefined;
  rmSync(home, { recursive: true, force: true });
});

function config(over: Record<string, unknown> = {}) {
  return {
    model_list: [
      { model_name: "main", model: "openai/main-model", api_base: `${llm.url}/v1`, api_key: "sk-main-1234567890" },
      { model_name: "backup", model: "openai/backup-model", api_base: `${llm.url}/v1`, api_key: "sk-backup-1234567890" },
      { model_name: "ears", model: "openai/whisper-1", api_base: `${llm.url}/v1` },
    ],
    agents: { defaults: { model_name: "main", fallbacks: ["backup"] } },
    voice: { model_name: "ears" },
    channels: {
      telegram: { enabled: true, token: tg.token, api_base: tg.url, allow_from: [String(OWNER)] },
      discord: { enabled: true, token: dc.token, api_base: dc.apiBase, allow_from: [dc.alice.id] },
    },
    ...over,
  };
}

async function ready(d: RunningDaemon): Promise<void> {
  await waitFor(async () => (await fetch(`${d.url}/ready`)).status === 200 || undefined, "/ready", 15_000);
}

const textsTo = (chatId: number) => tg.sent.filter((m) => String(m.chat_id) === String(chatId)).map((m) => m.text ?? "");

describe("gateway end to end", () => {
  it("answers an allowed user on Telegram and on Discord", async () => {
    writeConfig(home, config());
    daemon = await startDaemon(home);
    await ready(daemon);
    tg.userMessage({ chatId: OWNER, fromId: OWNER, text: "hello from telegram" });
    await waitFor(() => textsTo(OWNER)[0], "telegram reply");
    expect(textsTo(OWNER)).toEqual(['echo: "hello from telegram"']);
    dc.dm("hello from discord");
    const sent = await dc.waitForSent(1, 10_000);
    expect(sent[0]!.body.content).toBe('echo: "hello from discord"');
    const status = (await (await fetch(`${daemon.url}/status`)).json()) as { channels: { id: string; state: string }[]; startup: StartReport };
    expect(status.channels.map((c) => [c.id, c.state]).sort()).toEqual([["discord", "online"], ["telegram", "online"]]);
    // where the start went: every step in order, and ready only once both channels were online
    const { steps, channelsOnlineMs, readyMs } = status.startup;
    expect(steps.map((s) => s.step)).toEqual(["modules loaded", "config read", "channel adapters built", "store open", "runtime built", "http listening", "start done"]);
    expect(steps.map((s) => s.atMs)).toEqual([...steps.map((s) => s.atMs)].sort((a, b) => a - b));
    expect(Object.keys(channelsOnlineMs).sort()).toEqual(["discord", "telegram"]);
    for (const at of Object.values(channelsOnlineMs)) expect(at).toBeLessThanOrEqual(readyMs);
    const line = messages(daemon).find((l) => l.msg === "gateway ready") as { startupMs?: number; startup?: { steps: unknown[] } } | undefined;
    expect(line?.startupMs).toBe(readyMs);
    expect(line?.startup?.steps).toHaveLength(steps.length);
  });

  it("gives a stranger a pairing code, keeps the model out of it, and lets them in once approved", async () => {
    writeConfig(home, config({ channels: { telegram: { enabled: true, token: tg.token, api_base: tg.url, allow_from: [] } } }));
    daemon = await startDaemon(home);
    await ready(daemon);
    tg.userMessage({ chatId: STRANGER, fromId: STRANGER, text: "let me in", username: "mallory" });
    const reply = await waitFor(() => textsTo(STRANGER)[0], "pairing reply");
    const code = /pairing code is ([A-Z0-9]{8})/.exec(reply)![1]!;
    expect(llm.requests).toHaveLength(0);
    const approve = await runCli(["pairing", "approve", "telegram", code], { SWITCHBOARD_HOME: home, HOME: home });
    expect(approve.code).toBe(0);
    // they are told first (pairing-notice.e2e.test.ts), then answered
    await waitFor(() => textsTo(STRANGER)[1], "approval notice");
    tg.userMessage({ chatId: STRANGER, fromId: STRANGER, text: "now?" });
    await waitFor(() => textsTo(STRANGER)[2], "answer after approval");
    expect(textsTo(STRANGER)[2]).toBe('echo: "now?"');
  });

  it("answers from the fallback model when the primary returns 429", async () => {
    writeConfig(home, config());
    daemon = await startDaemon(home);
    await ready(daemon);
    llm.script({ status: 429 });
    tg.userMessage({ chatId: OWNER, fromId: OWNER, text: "are you there" });
    await waitFor(() => textsTo(OWNER)[0], "reply");
    expect(llm.requests.map((r) => r.body.model)).toEqual(["main-model", "backup-model"]);
  });

  it("delivers a 20,000-character reply in order, within Telegram's limit, code fences intact", async () => {
    writeConfig(home, config());
    daemon = await startDaemon(home);
    await ready(daemon);
    const parts: string[] = [];
    for (let i = 0; parts.join("\n\n").length < 20_000; i++) parts.push(i % 4 === 3 ? `\`\`\`js\n${`console.log(${i});\n`.repeat(30)}\`\`\`` : `Part ${i}. ${"Words in a sentence. ".repeat(12)}`);
    const long = parts.join("\n\n");
    llm.script({ reply: long });
    tg.userMessage({ chatId: OWNER, fromId: OWNER, text: "tell me everything" });
    await waitFor(() => (textsTo(OWNER).join("\n").includes(`Part ${parts.length - 1}.`) || textsTo(OWNER).join("").includes(`console.log(${parts.length - 1})`)) || undefined, "all chunks", 15_000);
    const texts = textsTo(OWNER);
    expect(texts.length).toBeGreaterThanOrEqual(5);
    for (const t of texts) expect(t.length).toBeLessThanOrEqual(4096);
    // HTML code blocks open and close inside each message
    for (const t of tg.sent.filter((m) => String(m.chat_id) === String(OWNER))) {
      if (t.parse_mode === "HTML") expect((t.text!.match(/<pre>/g) ?? []).length).toBe((t.text!.match(/<\/pre>/g) ?? []).length);
    }
    const order = texts.join("\n").match(/Part \d+/g)!.map((p) => Number(p.slice(5)));
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it("transcribes a voice note and answers it", async () => {
    writeConfig(home, config());
    daemon = await startDaemon(home);
    await ready(daemon);
    const ogg = readFileSync(join(import.meta.dirname, "../fixtures/audio/hello-switchboard.ogg"));
    llm.transcript = "what is the weather";
    tg.userMessage({ chatId: OWNER, fromId: OWNER, voice: { data: ogg } });
    await waitFor(() => textsTo(OWNER)[0], "voice reply");
    expect(llm.transcriptions).toBe(1);
    expect(textsTo(OWNER)[0]).toBe('echo: "what is the weather"');
  });

  it("refuses malformed and unauthenticated webhook bodies without changing anything", async () => {
    writeConfig(home, config({ channels: { telegram: { enabled: true, token: tg.token, api_base: tg.url, allow_from: [String(OWNER)], mode: "webhook", webhook_url: "https://bot.example.com/webhook/telegram", webhook_secret: "hook-secret-1" } } }));
    daemon = await startDaemon(home);
    await ready(daemon);
    const post = (body: string, secret?: string) =>
      fetch(`${daemon!.url}/webhook/telegram`, { method: "POST", headers: { "content-type": "application/json", ...(secret ? { "x-telegram-bot-api-secret-token": secret } : {}) }, body });
    const update = (id: number, text: string) => JSON.stringify({ update_id: id, message: { message_id: id, date: 1, chat: { id: OWNER, type: "private" }, from: { id: OWNER, is_bot: false, first_name: "O" }, text } });
    expect((await post(update(1, "no secret"))).status).toBe(401);
    expect((await post(update(2, "wrong"), "nope")).status).toBe(401);
    expect((await post("{broken", "hook-secret-1")).status).toBe(400);
    expect((await post(JSON.stringify({ hello: "world" }), "hook-secret-1")).status).toBe(400);
    await new Promise((r) => setTimeout(r, 300));
    expect(llm.requests).toHaveLength(0);
    expect(tg.sent).toHaveLength(0);
    expect((await post(update(3, "real one"), "hook-secret-1")).status).toBe(200);
    await waitFor(() => textsTo(OWNER)[0], "webhook reply");
    expect(textsTo(OWNER)).toEqual(['echo: "real one"']);
  });

  it("reloads on SIGHUP: a changed allow-list applies, an invalid config is refused and the running one kept", async () => {
    writeConfig(home, config());
    daemon = await startDaemon(home);
    await ready(daemon);
    tg.userMessage({ chatId: STRANGER, fromId: STRANGER, text: "ignored" });
    await new Promise((r) => setTimeout(r, 400));
    expect(textsTo(STRANGER)).toEqual([]); // a non-empty allow-list drops strangers silently
    const next = config();
    next.channels.telegram.allow_from = [String(OWNER), String(STRANGER)];
    writeConfig(home, next);
    daemon.child.kill("SIGHUP");
    await waitFor(() => daemon!.log.some((l) => l.includes('"config reloaded"')) || undefined, "reload");
    await ready(daemon);
    tg.userMessage({ chatId: STRANGER, fromId: STRANGER, text: "welcome?" });
    await waitFor(() => textsTo(STRANGER)[0], "answer after reload");
    writeFileSync(join(home, "config.json"), '{"session": {"dm_scope": "nobody"}}');
    daemon.child.kill("SIGHUP");
    await waitFor(() => daemon!.log.some((l) => l.includes("config reload refused")) || undefined, "refusal");
    tg.userMessage({ chatId: OWNER, fromId: OWNER, text: "still there?" });
    await waitFor(() => textsTo(OWNER)[0], "owner still answered");
  });

  it("serves metrics and the OpenAI-compatible API", async () => {
    writeConfig(home, config({ gateway: { token: "api-token-123" } }));
    daemon = await startDaemon(home);
    await ready(daemon);
    const res = await fetch(`${daemon.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer api-token-123" },
      body: JSON.stringify({ model: "switchboard", user: "script", messages: [{ role: "user", content: "via api" }] }),
    });
    expect(((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toBe('echo: "via api"');
    const metrics = await (await fetch(`${daemon.url}/metrics`, { headers: { authorization: "Bearer api-token-123" } })).text();
    expect(metrics).toMatch(/switchboard_channel_online\{channel="telegram"\} 1/);
    expect(metrics).toMatch(/switchboard_turns_total \d+/);
  });

  it("answers exactly once after being killed mid-turn and restarted", async () => {
    writeConfig(home, config());
    daemon = await startDaemon(home);
    await ready(daemon);
    llm.script({ reply: "too late", delayMs: 4000 });
    tg.userMessage({ chatId: OWNER, fromId: OWNER, text: "survive this" });
    await waitFor(() => llm.requests.length > 0 || undefined, "the model call");
    await daemon.kill();
    daemon = await startDaemon(home);
    await waitFor(() => textsTo(OWNER).length > 0 || undefined, "reply after restart", 15_000);
    await new Promise((r) => setTimeout(r, 1500));
    expect(textsTo(OWNER)).toEqual(['echo: "survive this"']);
  });
});
