// Runs the real QQ adapter against the fake QQ and records what the gateway
// would see: emitted messages, status changes and every log line.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { createQqAdapter, type QqAdapter, type QqAdapterOptions } from "../../../channels/qq/adapter.ts";
import type { ChannelState, InboundMessage } from "../../../src/core/channel.ts";
import { FakeQq, type FakeQqOptions } from "../../fakes/qq/server.ts";

export interface Harness {
  fake: FakeQq;
  adapter: QqAdapter;
  stateDir: string;
  received: InboundMessage[];
  /** the cursor store the gateway would give the channel (kept across restart()) */
  cursors: Map<string, string>;
  /** what emit() does with a message before it counts as stored; default: resolve */
  onEmit: (msg: InboundMessage) => Promise<void>;
  statuses: { state: ChannelState; detail?: string }[];
  logs: string[];
  controller: AbortController;
  start(): Promise<void>;
  /** a second adapter on the same fake and state directory (a restart) */
  restart(opts?: Partial<QqAdapterOptions>): Promise<QqAdapter>;
  waitForMessages(n: number, timeoutMs?: number): Promise<InboundMessage[]>;
  waitForStatus(state: ChannelState, after?: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export type HarnessConfig = Partial<Record<"app_id" | "app_secret" | "api_base" | "token_url" | "proxy", string>> & { sandbox?: boolean };

export async function startHarness(
  fakeOpts: FakeQqOptions = {},
  adapterOpts: Partial<QqAdapterOptions> = {},
  config: HarnessConfig = {},
): Promise<Harness> {
  const fake = await FakeQq.start({ heartbeatIntervalMs: 5_000, ...fakeOpts });
  const stateDir = mkdtempSync(join(tmpdir(), "sb-qq-"));
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
  const make = (extra: Partial<QqAdapterOptions> = {}) =>
    createQqAdapter(
      { ...fake.config(), ...config },
      { logger, stateDir, initialBackoffMs: 20, maxBackoffMs: 200, readyTimeoutMs: 5_000, random: () => 0.5, ...adapterOpts, ...extra },
    );
  const received: InboundMessage[] = [];
  const cursors = new Map<string, string>();
  const statuses: Harness["statuses"] = [];
  let controller = new AbortController();
  const adapters: QqAdapter[] = [];
  const run = (adapter: QqAdapter) =>
    adapter.start({
      signal: controller.signal,
      emit: async (msg) => {
        await h.onEmit(msg);
        received.push(msg);
      },
      cursors: { get: async (k) => cursors.get(k), set: async (k, v) => void cursors.set(k, v), list: async () => [...cursors].map(([scope, cursor]) => ({ scope, cursor })) },
      setStatus: (state, detail) => statuses.push({ state, ...(detail ? { detail } : {}) }),
    });
  const h: Harness = {
    fake,
    adapter: make(),
    stateDir,
    received,
    cursors,
    onEmit: async () => undefined,
    statuses,
    logs,
    get controller() {
      return controller;
    },
    start: () => run(h.adapter),
    async restart(opts = {}) {
      controller.abort();
      await h.adapter.stop();
      controller = new AbortController();
      const next = make(opts);
      adapters.push(next);
      h.adapter = next;
      await run(next);
      return next;
    },
    async waitForMessages(n, timeoutMs = 5_000) {
      await fake.waitFor(() => received.length >= n, `${n} emitted message(s), got ${received.length}`, timeoutMs);
      return received;
    },
    async waitForStatus(state, after = 0, timeoutMs = 5_000) {
      await fake.waitFor(() => statuses.slice(after).some((s) => s.state === state), `status ${state}`, timeoutMs);
    },
    async close() {
      controller.abort();
      await h.adapter.stop();
      for (const a of adapters) await a.stop();
      await fake.close();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
  return h;
}

/** resolves after `ms` real milliseconds (only for "nothing arrives" checks; keep it short) */
export function pause(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
