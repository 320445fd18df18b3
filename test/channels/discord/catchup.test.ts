// Discord does not redeliver: what people wrote while the gateway was down
// is fetched from the channel history after the next start, and each
// message reaches the gateway once.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sqliteBackend } from "../../../src/store/sqlite-backend.ts";
import { createDiscordAdapter, type DiscordAdapter } from "../../../channels/discord/adapter.ts";
import type { ChannelCursors, InboundMessage } from "../../../src/core/channel.ts";
import { silentLogger } from "../../../src/core/logger.ts";
import { openStore, type Store } from "../../../src/store/index.ts";
import { FakeDiscord } from "../../fakes/discord/server.ts";

let fake: FakeDiscord;
let dir: string;
let store: Store;
const running: DiscordAdapter[] = [];

beforeEach(async () => {
  fake = await FakeDiscord.start({ heartbeatIntervalMs: 500 });
  dir = mkdtempSync(join(tmpdir(), "sb-dc-catchup-"));
  store = openStore(join(dir, "db.sqlite"));
});
afterEach(async () => {
  for (const a of running.splice(0)) await a.stop();
  await fake.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** what the gateway stored: unique by (chat, message id), like the inbox */
const stored: InboundMessage[] = [];
let emitted = 0;

async function startGateway(): Promise<DiscordAdapter> {
  const adapter = createDiscordAdapter({ token: fake.token, api_base: fake.apiBase }, { logger: silentLogger(), readyTimeoutMs: 10_000, stopTimeoutMs: 1_000 });
  const backend = sqliteBackend(store);
  const cursors: ChannelCursors = {
    get: (s) => backend.cursors.get("discord", s),
    set: (s, c) => backend.cursors.set("discord", s, c),
    list: () => backend.cursors.list("discord"),
  };
  running.push(adapter);
  await adapter.start({
    signal: new AbortController().signal,
    setStatus: () => undefined,
    cursors,
    emit: async (msg) => {
      emitted++;
      const rec = store.delivery.acceptInbound({ channel: "discord", chatId: msg.chatId, messageId: msg.messageId, sessionKey: msg.chatId, senderId: msg.senderId, payload: msg.text, receivedAt: Date.now() });
      if (rec) stored.push(msg);
    },
  });
  return adapter;
}

async function stopGateway(a: DiscordAdapter): Promise<void> {
  await a.stop();
  running.splice(running.indexOf(a), 1);
}

async function until(cond: () => boolean, what: string): Promise<void> {
  await fake.waitFor(cond, what, 10_000);
}

describe("Discord catch-up", () => {
  beforeEach(() => {
    stored.length = 0;
    emitted = 0;
  });

  it("answers DMs and mentions sent while the gateway was down, each once, across restarts", async () => {
    let gw = await startGateway();
    fake.dm("first, live");
    await until(() => stored.length === 1, "the live DM");
    await stopGateway(gw);

    // the gateway is down: Discord keeps these in the channels' history only
    fake.dm("sent while down 1");
    fake.dm("sent while down 2", { author: fake.alice });
    fake.guildMessage(`<@${fake.bot.id}> are you there?`);
    fake.guildMessage("chatter not for the bot");

    gw = await startGateway();
    await until(() => stored.length === 5, "the missed messages").catch((e: Error) => { throw new Error(`${e.message}: ${JSON.stringify(stored.map((m) => m.text))} requests ${JSON.stringify(fake.requests.slice(-8))} unknown ${JSON.stringify(fake.unknownRoutes)}`); });
    expect(stored.map((m) => m.text)).toEqual(["first, live", "sent while down 1", "sent while down 2", "are you there?", "chatter not for the bot"]);
    expect(stored[3]!.mentioned).toBe(true);
    expect(stored[4]!.mentioned).toBe(false); // the gateway's group trigger drops it, as it would live

    // live again, and a second restart finds nothing new to hand over
    fake.dm("after the restart");
    await until(() => stored.length === 6, "the live DM after restart");
    await stopGateway(gw);
    const before = emitted;
    const requests = fake.historyRequests;
    gw = await startGateway();
    await until(() => fake.historyRequests > requests, "the catch-up to run");
    await fake.waitFor(() => true, "settle", 100);
    expect(stored).toHaveLength(6);
    expect(emitted - before).toBeLessThanOrEqual(0);
  });

  it("the DM channel is remembered across restarts: discord.js does not list DMs at login", async () => {
    const gw = await startGateway();
    fake.dm("hello", { author: fake.bob });
    await until(() => stored.length === 1, "bob's DM");
    await stopGateway(gw);
    expect(store.cursors.list("discord").map((c) => c.scope)).toContain(fake.dmChannelId(fake.bob));
  });
});
