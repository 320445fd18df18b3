// Shared set-up for the Telegram adapter tests: a fake Bot API, an adapter
// pointed at it, and a ChannelContext that records what the adapter emits
// and which states it reports.
import type { ChannelState, InboundMessage } from "../../../src/core/channel.ts";
import type { Clock } from "../../../src/core/clock.ts";
import { silentLogger } from "../../../src/core/logger.ts";
import { createTelegramAdapter, type TelegramAdapter, type TelegramAdapterOptions, type TelegramConfig } from "../../../channels/telegram/adapter.ts";
import { FakeTelegramApi } from "../../fakes/telegram-api.ts";

export interface Harness {
  tg: FakeTelegramApi;
  adapter: TelegramAdapter;
  emitted: InboundMessage[];
  statuses: { state: ChannelState; detail?: string }[];
  controller: AbortController;
  /** replaces how emit behaves (default: record and resolve) */
  onEmit: (msg: InboundMessage) => Promise<void>;
  /** the gateway's read-ahead the adapter is given (ChannelContext.readAhead); unset: none */
  readAhead?: () => number | undefined;
  start(): Promise<void>;
  waitForEmitted(n: number, timeoutMs?: number): Promise<InboundMessage[]>;
  waitForState(state: ChannelState, timeoutMs?: number): Promise<{ state: ChannelState; detail?: string }>;
  close(): Promise<void>;
}

export async function until<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export async function harness(
  opts: { config?: Partial<TelegramConfig>; adapter?: Partial<TelegramAdapterOptions>; tg?: FakeTelegramApi; clock?: Clock } = {},
): Promise<Harness> {
  const tg = opts.tg ?? (await FakeTelegramApi.start());
  const adapter = createTelegramAdapter(
    { token: tg.token, api_base: tg.url, ...opts.config },
    { logger: silentLogger(), pollTimeoutSeconds: 1, initialBackoffMs: 10, maxBackoffMs: 50, ...(opts.clock ? { clock: opts.clock } : {}), ...opts.adapter },
  );
  const controller = new AbortController();
  const h: Harness = {
    tg,
    adapter,
    emitted: [],
    statuses: [],
    controller,
    onEmit: async (msg) => {
      h.emitted.push(msg);
    },
    start: () =>
      adapter.start({
        emit: (msg) => h.onEmit(msg),
        setStatus: (state, detail) => h.statuses.push({ state, ...(detail ? { detail } : {}) }),
        signal: controller.signal,
        ...(h.readAhead ? { readAhead: h.readAhead } : {}),
      }),
    waitForEmitted: (n, timeoutMs = 3000) => until(() => (h.emitted.length >= n ? h.emitted : undefined), timeoutMs, `${n} emitted messages`),
    waitForState: (state, timeoutMs = 3000) => until(() => h.statuses.findLast((s) => s.state === state), timeoutMs, `state ${state}`),
    close: async () => {
      controller.abort();
      await adapter.stop();
      await tg.close();
    },
  };
  return h;
}

/** the error a promise rejects with; fails the test when it resolves */
export async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected a rejection, but the call succeeded");
}
