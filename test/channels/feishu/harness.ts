// Runs the real Feishu adapter against the fake Lark and records what the
// gateway would see: emitted messages, status changes and every log line.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { createFeishuAdapter, type FeishuAdapter, type FeishuAdapterOptions } from "../../../channels/feishu/adapter.ts";
import type { ChannelState, InboundMessage } from "../../../src/core/channel.ts";
import { FakeLark, type FakeLarkOptions } from "../../fakes/lark/server.ts";

export interface Harness {
  lark: FakeLark;
  adapter: FeishuAdapter;
  stateDir: string;
  received: InboundMessage[];
  statuses: { state: ChannelState; detail?: string }[];
  logs: string[];
  /** makes emit() fail (the gateway could not store the message) while set */
  failEmit: boolean;
  start(): Promise<void>;
  waitForMessages(n: number, timeoutMs?: number): Promise<InboundMessage[]>;
  waitForStatus(state: ChannelState, after?: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  fake?: FakeLarkOptions;
  adapter?: Partial<FeishuAdapterOptions>;
  /** merged over the fake's config block */
  config?: Record<string, unknown>;
}

export async function startHarness(o: HarnessOptions = {}): Promise<Harness> {
  const lark = await FakeLark.start(o.fake ?? {});
  const stateDir = mkdtempSync(join(tmpdir(), "sb-feishu-"));
  const logs: string[] = [];
  const logger = pino(
    { level: "trace" },
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        logs.push(chunk.toString());
        cb();
      },
    }),
  );
  const adapter = createFeishuAdapter(
    { ...lark.config(), ...o.config },
    { logger, stateDir, initialBackoffMs: 20, maxBackoffMs: 200, random: () => 0.5, readyTimeoutMs: 5_000, ...o.adapter },
  );
  const controller = new AbortController();
  const h: Harness = {
    lark,
    adapter,
    stateDir,
    received: [],
    statuses: [],
    logs,
    failEmit: false,
    start: () =>
      adapter.start({
        signal: controller.signal,
        emit: async (msg) => {
          if (h.failEmit) throw new Error("the store is down");
          h.received.push(msg);
        },
        setStatus: (state, detail) => h.statuses.push({ state, ...(detail ? { detail } : {}) }),
      }),
    async waitForMessages(n, timeoutMs = 5_000) {
      await lark.waitFor(() => h.received.length >= n, `${n} emitted message(s), got ${h.received.length}`, timeoutMs);
      return h.received;
    },
    async waitForStatus(state, after = 0, timeoutMs = 5_000) {
      await lark.waitFor(() => h.statuses.slice(after).some((s) => s.state === state), `status ${state}`, timeoutMs);
    },
    async close() {
      controller.abort();
      await adapter.stop();
      await lark.close();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
  return h;
}

/** resolves after `ms` real milliseconds (only for "nothing arrives" checks; keep it short) */
export function pause(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
