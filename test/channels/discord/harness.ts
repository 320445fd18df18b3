// Runs the real Discord adapter (discord.js) against the fake Discord and
// records what the gateway would see: emitted messages and status changes.
import { Writable } from "node:stream";
import { pino } from "pino";
import { createDiscordAdapter, type DiscordAdapter, type DiscordAdapterOptions } from "../../../channels/discord/adapter.ts";
import type { ChannelState, InboundMessage } from "../../../src/core/channel.ts";
import { FakeDiscord, type FakeDiscordOptions } from "../../fakes/discord/server.ts";

export interface Harness {
  fake: FakeDiscord;
  adapter: DiscordAdapter;
  received: InboundMessage[];
  statuses: { state: ChannelState; detail?: string }[];
  /** every log line the adapter wrote, as text */
  logs: string[];
  controller: AbortController;
  start(): Promise<void>;
  waitForMessages(n: number, timeoutMs?: number): Promise<InboundMessage[]>;
  waitForStatus(state: ChannelState, after?: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startHarness(
  fakeOpts: FakeDiscordOptions = {},
  adapterOpts: Partial<DiscordAdapterOptions> & { token?: string; proxy?: string } = {},
): Promise<Harness> {
  const fake = await FakeDiscord.start({ heartbeatIntervalMs: 500, ...fakeOpts });
  const logs: string[] = [];
  const logger = pino(
    { level: "debug" },
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        logs.push(chunk.toString());
        cb();
      },
    }),
  );
  const { token, proxy, ...rest } = adapterOpts;
  const adapter = createDiscordAdapter(
    { token: token ?? fake.token, api_base: fake.apiBase, ...(proxy ? { proxy } : {}) },
    { logger, readyTimeoutMs: 10_000, stopTimeoutMs: 1_000, ...rest },
  );
  const received: InboundMessage[] = [];
  const statuses: Harness["statuses"] = [];
  const controller = new AbortController();
  const h: Harness = {
    fake,
    adapter,
    received,
    statuses,
    logs,
    controller,
    start: () =>
      adapter.start({
        signal: controller.signal,
        emit: async (msg) => {
          received.push(msg);
        },
        setStatus: (state, detail) => statuses.push({ state, ...(detail ? { detail } : {}) }),
      }),
    async waitForMessages(n, timeoutMs = 5_000) {
      await fake.waitFor(() => received.length >= n, `${n} emitted message(s), got ${received.length}`, timeoutMs);
      return received;
    },
    async waitForStatus(state, after = 0, timeoutMs = 5_000) {
      await fake.waitFor(() => statuses.slice(after).some((s) => s.state === state), `status ${state}`, timeoutMs);
    },
    async close() {
      controller.abort();
      await adapter.stop();
      await fake.close();
    },
  };
  return h;
}

/** resolves after `ms` real milliseconds (only for "nothing arrives" checks, keep it short) */
export function pause(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
