// Two real gateway daemons (in this process) on one PostgreSQL database,
// with the fake Telegram Bot API and a fake LLM instrumented per chat: one
// getUpdates poller at a time, every message answered exactly once, a
// session's turn never running on both gateways at once, replies stored by
// the gateway without the channel sent by the one with it, a clean stop
// handing the channel over, and a cron job firing once.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DestinationStream } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { resolvePaths } from "../../src/config/paths.ts";
import { createLogger } from "../../src/core/logger.ts";
import { Daemon } from "../../src/gateway/daemon.ts";
import { openPgStore, type PgBackend } from "../../src/store/pg/index.ts";
import { startFakeLlm, type FakeLlm, type RecordedRequest } from "../fakes/fake-llm.ts";
import { FakeTelegramApi } from "../fakes/telegram-api.ts";
import { createTestDatabase, type TestDatabase } from "../support/postgres.ts";
import { until } from "./gateways.ts";

let db: TestDatabase;
let store: PgBackend;
let llm: FakeLlm;
let tg: FakeTelegramApi;

interface Gw {
  name: string;
  daemon: Daemon;
  home: string;
  log: Record<string, unknown>[];
}
let gws: Gw[] = [];

beforeAll(async () => {
  db = await createTestDatabase("fleet_daemons");
  store = await openPgStore(db.url);
  llm = await startFakeLlm();
  tg = await FakeTelegramApi.start();
});
afterEach(async () => {
  await Promise.all(gws.map((g) => g.daemon.stop()));
  for (const g of gws) rmSync(g.home, { recursive: true, force: true });
  gws = [];
});
afterAll(async () => {
  await store.close();
  await Promise.all([llm.close(), tg.close()]);
  await db.drop();
});

function config(over: Record<string, unknown> = {}) {
  return {
    model_list: [{ model_name: "main", model: "openai/main-model", api_base: `${llm.url}/v1`, api_key: "sk-main-1234567890" }],
    agents: { defaults: { model_name: "main" } },
    channels: { telegram: { enabled: true, token: tg.token, api_base: tg.url, allow_from: ["*"], streaming: "off" } },
    store: { url: db.url },
    gateway: { max_turns_in_flight: 1 },
    ...over,
  };
}

async function gateway(name: string, over: Record<string, unknown> = {}): Promise<Gw> {
  const home = mkdtempSync(join(tmpdir(), `sb-fleetd-${name}-`));
  writeFileSync(join(home, "config.json"), JSON.stringify(config(over)));
  const log: Record<string, unknown>[] = [];
  const destination: DestinationStream = { write: (line: string) => void log.push(JSON.parse(line) as Record<string, unknown>) };
  const env = { HOME: home, SWITCHBOARD_HOME: home, SWITCHBOARD_GATEWAY_PORT: "0" };
  const daemon = new Daemon({
    paths: resolvePaths(env),
    logger: createLogger({ level: "info", format: "json", destination }),
    env,
    watchConfig: false,
    shutdownDeadlineMs: 5000,
    fleet: { memberId: name, leaseTtlMs: 2500, renewMs: 700, memberTtlMs: 2500, heartbeatMs: 700, adoptEveryMs: 300, adoptAfterMs: 400 },
  });
  const g = { name, daemon, home, log };
  gws.push(g);
  await daemon.start();
  return g;
}

// test access to the daemon's parts (TypeScript allows element access to private members)
const holdsTelegram = (g: Gw) => g.daemon["leased"]?.holds("telegram") === true && g.daemon["channels"].has("telegram");
const pollers = () => gws.filter(holdsTelegram);
const sentTo = (chat: number) => tg.sent.filter((m) => String(m.chat_id) === String(chat)).map((m) => m.text ?? "");
const conflicts = () => gws.flatMap((g) => g.log.filter((l) => l.msg === "telegram getUpdates failed" && /409|Conflict/.test(String(l.err))));

/** the chat a model request is for: the user texts are "c<chat>:<n>" */
const chatOf = (req: RecordedRequest) => /c(\d+):/.exec(JSON.stringify(req.body.messages))?.[1] ?? "?";

describe("two gateway daemons on one PostgreSQL", () => {
  it("answer every message exactly once, never run a session on both at once, and send B's replies through A", async () => {
    const inFlight = new Map<string, number>();
    const overlaps: string[] = [];
    llm.setDefault((req) => {
      const chat = chatOf(req);
      if ((inFlight.get(chat) ?? 0) > 0) overlaps.push(chat);
      inFlight.set(chat, (inFlight.get(chat) ?? 0) + 1);
      const last = (req.body.messages as { content: unknown }[]).at(-1)!.content;
      // the first turn is slow: the owner's only turn slot stays taken, what it stores meanwhile waits for the other gateway
      const ms = JSON.stringify(last).includes("c11:0") ? 5000 : 300;
      return { reply: `echo: ${JSON.stringify(last)}`, holdUntil: new Promise((r) => setTimeout(r, ms)).then(() => inFlight.set(chat, inFlight.get(chat)! - 1)) };
    });
    const a = await gateway("gw-a");
    const b = await gateway("gw-b");
    await until(() => pollers().length === 1, "one gateway to poll Telegram");
    // one turn at a time per gateway: the owner falls behind and the other takes up what waits
    const chats = [11, 12, 13, 14, 15, 16];
    tg.userMessage({ chatId: 11, fromId: 11, text: "c11:0" });
    await until(() => inFlight.get("11") === 1, "the slow first turn");
    for (let round = 0; round < 3; round++) for (const c of chats) if (round > 0 || c !== 11) tg.userMessage({ chatId: c, fromId: c, text: `c${c}:${round}` });

    const settled = async () => {
      const { rows } = await store.pool.query<{ inbox: number; open: number; unsent: number }>(
        "SELECT (SELECT count(*)::int FROM inbox) AS inbox, (SELECT count(*)::int FROM inbox WHERE state <> 'done') AS open, (SELECT count(*)::int FROM outbox WHERE state <> 'sent') AS unsent",
      );
      return rows[0]!.inbox === 18 && rows[0]!.open === 0 && rows[0]!.unsent === 0;
    };
    await until(settled, "every message answered and sent", 60_000);
    for (const c of chats) {
      // each message is in exactly one answered turn, each reply sent once
      const answered = sentTo(c).join("\n");
      for (let round = 0; round < 3; round++) expect(answered.split(`c${c}:${round}`).length - 1).toBe(1);
    }
    const { rows } = await store.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM outbox");
    expect(tg.sent).toHaveLength(rows[0]!.n);
    expect(overlaps).toEqual([]);
    // no turn ran twice: one model call per reply (a turn whose claim lapsed would have called it again)
    expect(llm.requests).toHaveLength(tg.sent.length);
    // both gateways ran turns, and only the owner ever sent
    const [owner, other] = holdsTelegram(a) ? [a, b] : [b, a];
    expect(owner.daemon["pipeline"].turnsRun).toBeGreaterThan(0);
    expect(other.daemon["pipeline"].turnsRun).toBeGreaterThan(0);
    expect(other.daemon["outbox"].sentCount).toBe(0);
    expect(owner.daemon["outbox"].sentCount).toBe(tg.sent.length);
    expect(conflicts()).toEqual([]);
  }, 90_000);

  it("a stopped owner hands Telegram over at once; the other answers from then on", async () => {
    llm.setDefault((req) => ({ reply: `echo: ${JSON.stringify((req.body.messages as { content: unknown }[]).at(-1)!.content)}` }));
    await gateway("gw-c");
    await until(() => pollers().length === 1, "gw-c to poll");
    await gateway("gw-d");
    const owner = pollers()[0]!;
    const other = gws.find((g) => g !== owner)!;
    await owner.daemon.stop();
    await until(() => holdsTelegram(other) && tg.heldPolls() === 1, "the other gateway to poll", 10_000);
    tg.userMessage({ chatId: 21, fromId: 21, text: "c21:after" });
    await until(() => sentTo(21).length > 0, "the answer from the new owner", 20_000);
    expect(sentTo(21)).toEqual(['echo: "c21:after"']);
    expect(conflicts()).toEqual([]);
    // /status shows the fleet: the member left, the channel's owner now, its lease age
    const status = (await (await fetch(`${other.daemon.url}/status`)).json()) as { fleet: { members: { id: string; alive: boolean }[]; channels: { account: string; owner: string | null; heldForMs: number }[] } };
    expect(status.fleet.members.map((m) => m.id)).toEqual([other.name]);
    expect(status.fleet.channels).toEqual([expect.objectContaining({ account: "telegram:default", owner: other.name })]);
  }, 60_000);

  it("fires a cron job once across the fleet", async () => {
    llm.setDefault((req) => ({ reply: `ran ${chatOf(req)}` }));
    await gateway("gw-e");
    await gateway("gw-f");
    await until(() => pollers().length === 1, "one poller");
    const before = llm.requests.length;
    const now = Date.now();
    await store.cron.add({
      name: "c31: say hello",
      schedule: { kind: "every", everyMs: 60 * 60_000, anchor: now },
      payload: { kind: "agent", message: "c31: say hello" },
      origin: { channel: "telegram", chatId: "31" },
      nextRunAt: now,
      createdAt: now,
    });
    for (const g of gws) g.daemon["cron"]?.wake();
    await until(() => sentTo(31).length > 0, "the job's message", 20_000);
    await new Promise((r) => setTimeout(r, 1500)); // both services have looked at the job by now
    expect(llm.requests.length - before).toBe(1);
    expect(sentTo(31)).toHaveLength(1);
  }, 60_000);
});
