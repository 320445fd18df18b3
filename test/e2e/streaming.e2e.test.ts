// The real daemon streaming replies into Telegram and Discord (their fakes
// refuse edits faster than the platforms allow, with 429s): a slow model's
// answer appears while it is still being written and grows by edits to the
// full text; "off" sends one message; a kill -9 mid-stream still ends with
// exactly one complete reply.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/index.ts";
import { startDaemon, waitFor, writeConfig, type RunningDaemon } from "./daemon.ts";
import { afterReload, APPLIED, renameSave, restartedChannels } from "./reload-helpers.ts";
import { FakeDiscord } from "../fakes/discord/server.ts";
import { startFakeLlm, type FakeLlm } from "../fakes/fake-llm.ts";
import { FakeTelegramApi } from "../fakes/telegram-api.ts";

let llm: FakeLlm;
let tg: FakeTelegramApi;
let dc: FakeDiscord;
let home: string;
let daemon: RunningDaemon | undefined;
const OWNER = 4242;

beforeAll(async () => {
  [llm, tg, dc] = await Promise.all([startFakeLlm(), FakeTelegramApi.start(), FakeDiscord.start()]);
});
afterAll(async () => {
  await Promise.all([llm.close(), tg.close(), dc.close()]);
});
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), "sb-stream-e2e-"));
  llm.requests.length = 0;
  tg.sent.length = 0;
  tg.editBook.edits.length = 0;
  tg.editBook.floodRefusals = 0;
  dc.sent.length = 0;
  dc.editBook.edits.length = 0;
});
afterEach(async () => {
  await daemon?.stop();
  daemon = undefined;
  rmSync(home, { recursive: true, force: true });
});

const ANSWER = Array.from({ length: 60 }, (_, i) => `word${i}`).join(" ");

function config(channels: Record<string, unknown>) {
  return {
    model_list: [{ model_name: "main", model: "openai/main-model", api_base: `${llm.url}/v1`, api_key: "sk-main-1234567890" }],
    agents: { defaults: { model_name: "main" } },
    channels,
  };
}
const telegram = (extra: Record<string, unknown> = {}) => ({ telegram: { enabled: true, token: tg.token, api_base: tg.url, allow_from: [String(OWNER)], ...extra } });

async function online(d: RunningDaemon, channel: string): Promise<void> {
  await waitFor(async () => {
    const s = (await (await fetch(`${d.url}/status`)).json()) as { channels?: { id: string; state: string }[] };
    return s.channels?.find((c) => c.id === channel)?.state === "online" || undefined;
  }, `${channel} online`, 15_000);
}

/** a gate the test opens: the model's stream pauses there until the test has seen what it waits for */
function gate(): { open: () => void; promise: Promise<void> } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { open, promise };
}

const tgVisible = () => tg.sent.filter((m) => String(m.chat_id) === String(OWNER) && !m.deleted);

describe("streaming by edit, end to end", () => {
  it("Telegram: the answer appears while the model writes, grows by edits no faster than Telegram allows, and ends in full", async () => {
    writeConfig(home, config(telegram()));
    daemon = await startDaemon(home);
    await online(daemon, "telegram");
    const g = gate();
    llm.setDefault({ reply: ANSWER, eventDelayMs: 40, streamGate: { after: 25, open: g.promise } });
    const askedAt = Date.now();
    tg.userMessage({ chatId: OWNER, fromId: OWNER, text: "tell me a long story" });
    const first = await waitFor(() => tgVisible()[0], "the first live message", 15_000);
    const firstAfterMs = Date.now() - askedAt;
    // the model is held mid-answer: what the person sees is the part written so far
    expect(ANSWER.startsWith(first.text!)).toBe(true);
    expect(first.text!.length).toBeLessThan(ANSWER.length);
    g.open();
    await waitFor(() => tgVisible()[0]?.text === ANSWER || undefined, "the full answer", 20_000);

    expect(tgVisible()).toHaveLength(1);
    const edits = tg.editBook.edits.filter((e) => String(e.chat_id) === String(OWNER));
    expect(edits.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < edits.length; i++) {
      expect(ANSWER.startsWith(edits[i - 1]!.text)).toBe(true);
      expect(edits[i]!.text.length).toBeGreaterThanOrEqual(edits[i - 1]!.text.length);
      expect(edits[i]!.at - edits[i - 1]!.at).toBeGreaterThanOrEqual(900);
    }
    expect(tg.editBook.floodRefusals).toBe(0);
    // a streamed turn still records which model answered (status, /status, compaction's context window)
    await daemon.stop();
    daemon = undefined;
    const store = openStore(join(home, "switchboard.db"));
    try {
      expect(store.sessions.listSessions(5).map((x) => x.lastModel)).toEqual([expect.stringContaining("main")]);
    } finally {
      store.close();
    }
    console.log(`telegram: first live message ${firstAfterMs} ms after the question; ${edits.length} edits`);
  });

  it("/stop mid-stream: the partial answer on screen becomes the one \"Stopped.\" reply, and the next question works", async () => {
    writeConfig(home, config(telegram()));
    daemon = await startDaemon(home);
    await online(daemon, "telegram");
    const held = gate(); // never opened: the model stays mid-answer until /stop
    llm.setDefault({ reply: ANSWER, eventDelayMs: 20, streamGate: { after: 10, open: held.promise } });
    tg.userMessage({ chatId: OWNER, fromId: OWNER, text: "tell me a long story" });
    const partial = await waitFor(() => tgVisible()[0], "the first live message", 15_000);
    expect(ANSWER.startsWith(partial.text!)).toBe(true);
    tg.userMessage({ chatId: OWNER, fromId: OWNER, text: "/stop" });
    await waitFor(() => (tgVisible()[0]?.text === "Stopped." ? true : undefined), "the partial answer replaced by Stopped.", 15_000);
    // one message on screen, no half answer beside it
    expect(tgVisible().map((m) => m.text)).toEqual(["Stopped."]);
    held.open();
    llm.setDefault({ reply: "fresh answer" });
    tg.userMessage({ chatId: OWNER, fromId: OWNER, text: "and now?" });
    await waitFor(() => (tgVisible().some((m) => m.text === "fresh answer") ? true : undefined), "the next answer", 15_000);
    expect(tgVisible().map((m) => m.text)).toEqual(["Stopped.", "fresh answer"]);
  });

  it('Telegram with streaming "off": one message with the whole answer, no edits', async () => {
    writeConfig(home, config(telegram({ streaming: "off" })));
    daemon = await startDaemon(home);
    await online(daemon, "telegram");
    llm.setDefault({ reply: ANSWER, eventDelayMs: 20 });
    tg.userMessage({ chatId: OWNER, fromId: OWNER, text: "tell me a long story" });
    await waitFor(() => tgVisible()[0], "the reply", 15_000);
    await waitFor(async () => ((await (await fetch(`${daemon!.url}/status`)).json()) as { queues?: { outboundPending: number } }).queues?.outboundPending === 0 || undefined, "the outbox to drain");
    expect(tgVisible().map((m) => m.text)).toEqual([ANSWER]);
    expect(tg.sent).toHaveLength(1);
    expect(tg.editBook.edits).toHaveLength(0);
  });

  it('a reload to "off" applies to the next reply without reconnecting the channel', async () => {
    writeConfig(home, config(telegram()));
    daemon = await startDaemon(home);
    await online(daemon, "telegram");
    await afterReload(daemon, APPLIED, () => renameSave(home, config(telegram({ streaming: "off" }))));
    llm.setDefault({ reply: ANSWER, eventDelayMs: 20 });
    tg.userMessage({ chatId: OWNER, fromId: OWNER, text: "tell me a long story" });
    await waitFor(() => tgVisible()[0], "the reply", 15_000);
    expect(tgVisible().map((m) => m.text)).toEqual([ANSWER]);
    expect(tg.editBook.edits).toHaveLength(0);
    expect(restartedChannels(daemon)).toEqual([]);
  });

  it("Discord: the answer grows by edits within Discord's edit bucket and ends in full", async () => {
    writeConfig(home, config({ discord: { enabled: true, token: dc.token, api_base: dc.apiBase, allow_from: ["*"] } }));
    daemon = await startDaemon(home);
    await online(daemon, "discord");
    const g = gate();
    llm.setDefault({ reply: ANSWER, eventDelayMs: 40, streamGate: { after: 25, open: g.promise } });
    dc.dm("tell me a long story");
    const first = await waitFor(() => dc.sent.find((m) => !m.deleted), "the first live message", 15_000);
    expect(ANSWER.startsWith(first.body.content!)).toBe(true);
    expect(first.body.content!.length).toBeLessThan(ANSWER.length);
    g.open();
    await waitFor(() => first.body.content === ANSWER || undefined, "the full answer", 20_000);

    expect(dc.sent.filter((m) => !m.deleted)).toHaveLength(1);
    const edits = dc.editBook.edits;
    expect(edits.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < edits.length; i++) expect(edits[i]!.content.length).toBeGreaterThanOrEqual(edits[i - 1]!.content.length);
    expect(dc.editBook.rateLimited).toBe(0);
  });

  it("kill -9 mid-stream: after the restart the same message is edited to the one complete answer", async () => {
    writeConfig(home, config(telegram()));
    daemon = await startDaemon(home);
    await online(daemon, "telegram");
    // the first life's model writes part of the answer, then hangs
    llm.setDefault({ reply: ANSWER, eventDelayMs: 30, stallStreamAfter: 30 });
    tg.userMessage({ chatId: OWNER, fromId: OWNER, text: "tell me a long story" });
    await waitFor(() => tgVisible()[0], "the first live message", 15_000);
    // an edit after the first send: the message's id is recorded by then
    await waitFor(() => tg.editBook.edits[0], "a live edit", 15_000);
    const partial = tgVisible()[0]!.text!;
    expect(partial.length).toBeLessThan(ANSWER.length);
    await daemon.kill();

    llm.setDefault({ reply: ANSWER, eventDelayMs: 10 });
    daemon = await startDaemon(home);
    await online(daemon, "telegram");
    await waitFor(() => tgVisible()[0]?.text === ANSWER || undefined, "the complete answer after the restart", 20_000);
    await waitFor(async () => ((await (await fetch(`${daemon!.url}/status`)).json()) as { queues?: { outboundPending: number } }).queues?.outboundPending === 0 || undefined, "the outbox to drain");

    expect(tgVisible().map((m) => m.text)).toEqual([ANSWER]); // one complete reply, no half answer left
    expect(tg.sent.filter((m) => String(m.chat_id) === String(OWNER))).toHaveLength(1); // the partial message itself became the answer
  });
});
