// In-process "gateways" of a fleet for tests: each one is the daemon's
// channel half (a ChannelSet under LeasedChannels, real channel adapters
// from the config) and its GatewayFleet, all on one PostgreSQL database. Its
// inbound messages go into the shared PostgreSQL store as the pipeline
// stores them (inbox dedupe included).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DestinationStream } from "pino";
import { createLogger } from "../../src/core/logger.ts";
import { ChannelSet } from "../../src/gateway/channel-set.ts";
import { loadChannels, type ChannelsConfig } from "../../src/gateway/channels.ts";
import { LeasedChannels } from "../../src/gateway/fleet-channels.ts";
import { GatewayFleet, type GatewayFleetOptions } from "../../src/gateway/fleet-gateway.ts";
import type { Outbox } from "../../src/gateway/outbox.ts";
import { openPgStore, type PgBackend } from "../../src/store/pg/index.ts";
import { afterAll, afterEach, beforeAll } from "vitest";
import { FakeTelegramApi } from "../fakes/telegram-api.ts";
import { createTestDatabase, type TestDatabase } from "../support/postgres.ts";

export interface TestGateway {
  name: string;
  set: ChannelSet;
  channels: LeasedChannels;
  fleet: GatewayFleet;
  /** JSON log lines */
  log: Record<string, unknown>[];
  /** inbound messages this gateway stored (a redelivery the inbox already had is not counted) */
  stored: string[];
  kicks: (string | undefined)[];
  /** sessions the fleet asked this gateway to take up */
  woken: string[];
  /** SIGTERM: hand the channels over, then leave */
  stop(): Promise<void>;
  /** SIGKILL: the pollers' connections close, nothing is given back */
  kill(): Promise<void>;
}

export async function startGateway(
  name: string,
  o: {
    url: string;
    store: PgBackend;
    channels: ChannelsConfig;
    fleet?: Partial<GatewayFleetOptions>;
    /** runs after a message is stored and before the platform is acknowledged */
    onStored?: (text: string, g: TestGateway) => Promise<void> | void;
  },
): Promise<TestGateway> {
  const log: Record<string, unknown>[] = [];
  const destination: DestinationStream = { write: (line: string) => void log.push(JSON.parse(line) as Record<string, unknown>) };
  const logger = createLogger({ level: "debug", format: "json", destination });
  const home = mkdtempSync(join(tmpdir(), `sb-fleet-${name}-`));
  const stored: string[] = [];
  const kicks: (string | undefined)[] = [];
  let dead = false;
  let self: TestGateway | undefined;
  const set = new ChannelSet({
    accept: async (msg) => {
      if (dead) throw new Error("this gateway was killed");
      const rec = await o.store.delivery.acceptInbound({
        channel: msg.channel,
        chatId: msg.chatId,
        messageId: msg.messageId,
        sessionKey: `${msg.channel}:${msg.chatId}`,
        senderId: msg.senderId,
        payload: { text: msg.text },
        receivedAt: Date.now(),
      });
      if (rec) stored.push(msg.text);
      await o.onStored?.(msg.text, self!);
    },
    outbox: () => ({ kick: () => {} }) as unknown as Outbox,
    logger,
  });
  const channels = new LeasedChannels({ set, logger });
  for (const ch of await loadChannels(o.channels, logger, home)) channels.start(ch);
  const fleet = await GatewayFleet.start({ url: o.url, logger, memberId: name, ...o.fleet });
  const woken: string[] = [];
  await fleet.begin({ channels, wakeSession: (k) => void woken.push(k), kickOutbox: (ch) => void kicks.push(ch) });
  let done = false;
  self = {
    name,
    set,
    channels,
    fleet,
    log,
    stored,
    kicks,
    woken,
    async stop() {
      if (done) return;
      done = true;
      await fleet.stop();
      await set.stopAll();
      rmSync(home, { recursive: true, force: true });
    },
    async kill() {
      if (done) return;
      done = true;
      dead = true;
      await fleet.halt();
      await set.stopAll();
      await fleet.fleet.pool.end().catch(() => {});
      rmSync(home, { recursive: true, force: true });
    },
  };
  return self;
}

export { waitFor as until } from "../e2e/daemon.ts";

/** short leases keep takeovers in tests quick; the defaults (6 s) are the e2e tests' and the bench's */
export const QUICK_FLEET = { leaseTtlMs: 2500, renewMs: 700, memberTtlMs: 2500, heartbeatMs: 700, adoptEveryMs: 300, adoptAfterMs: 500 };

/**
 * A test file's fleet setting: a fresh PostgreSQL database with the store's
 * tables, the fake Telegram Bot API, and the gateways a test started,
 * stopped after it.
 */
export function useFleet(label: string): { db: TestDatabase; store: PgBackend; api: FakeTelegramApi; running: TestGateway[] } {
  const f = { running: [] as TestGateway[] } as { db: TestDatabase; store: PgBackend; api: FakeTelegramApi; running: TestGateway[] };
  beforeAll(async () => {
    f.db = await createTestDatabase(label);
    f.store = await openPgStore(f.db.url);
    f.api = await FakeTelegramApi.start();
  });
  afterEach(async () => {
    await Promise.all(f.running.map((g) => g.stop()));
    f.running.length = 0;
  });
  afterAll(async () => {
    await f.store.close();
    await f.db.drop();
    await f.api.close();
  });
  return f;
}

/** log lines of `g` whose message matches */
export function lines(g: TestGateway, msg: RegExp): Record<string, unknown>[] {
  return g.log.filter((l) => typeof l.msg === "string" && msg.test(l.msg));
}
