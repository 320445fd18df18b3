// Runs the real WhatsApp adapter and records what the gateway would see:
// emitted messages, status changes and every log line (pino JSON).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pino, type Logger } from "pino";
import { createWhatsAppAdapter, type WhatsAppAdapter, type WhatsAppAdapterOptions } from "../../../channels/whatsapp/adapter.ts";
import type { ChannelState, InboundMessage } from "../../../src/core/channel.ts";
import { FakeBridge, type FakeBridgeOptions } from "../../fakes/whatsapp/bridge.ts";
import { FakeSocketFactory, type FakeWaSocket } from "../../fakes/whatsapp/socket.ts";

export const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitUntil(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await pause(5);
  }
}

export interface Recorder {
  logger: Logger;
  logs: string[];
  /** log lines (parsed) whose msg contains `text` */
  logged(text: string): Record<string, unknown>[];
}

export function recordingLogger(): Recorder {
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
  return {
    logger,
    logs,
    logged: (text) =>
      logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => typeof l.msg === "string" && l.msg.includes(text)),
  };
}

export interface Run {
  adapter: WhatsAppAdapter;
  received: InboundMessage[];
  statuses: { state: ChannelState; detail?: string }[];
  controller: AbortController;
  rec: Recorder;
  stateDir: string;
  start(): Promise<void>;
  waitForMessages(n: number, timeoutMs?: number): Promise<InboundMessage[]>;
  /** a status `state` reported after index `after` */
  waitForStatus(state: ChannelState, after?: number, timeoutMs?: number): Promise<{ state: ChannelState; detail?: string }>;
  close(): Promise<void>;
}

/** the adapter with recorders around it (no platform) */
export function runAdapter(config: Record<string, unknown>, opts: Partial<WhatsAppAdapterOptions> = {}): Run {
  const rec = recordingLogger();
  const stateDir = opts.stateDir ?? mkdtempSync(join(tmpdir(), "sb-wa-"));
  const adapter = createWhatsAppAdapter(config, { logger: rec.logger, stateDir, ...opts });
  const received: InboundMessage[] = [];
  const statuses: Run["statuses"] = [];
  const controller = new AbortController();
  const run: Run = {
    adapter,
    received,
    statuses,
    controller,
    rec,
    stateDir,
    start: () =>
      adapter.start({
        signal: controller.signal,
        emit: async (msg) => {
          received.push(msg);
        },
        setStatus: (state, detail) => statuses.push({ state, ...(detail ? { detail } : {}) }),
      }),
    async waitForMessages(n, timeoutMs = 5_000) {
      await waitUntil(() => received.length >= n, `${n} message(s) (have ${received.length})`, timeoutMs);
      return received;
    },
    async waitForStatus(state, after = 0, timeoutMs = 5_000) {
      const find = () => statuses.slice(after).find((s) => s.state === state);
      await waitUntil(() => find() !== undefined, `status ${state} (have ${JSON.stringify(statuses.slice(after))})`, timeoutMs);
      return find()!;
    },
    async close() {
      controller.abort();
      await adapter.stop();
      if (!opts.stateDir) rmSync(stateDir, { recursive: true, force: true });
    },
  };
  return run;
}

export interface BridgeHarness extends Run {
  bridge: FakeBridge;
}

/** a fake bridge and a bridge-mode adapter pointed at it (small backoffs, no jitter) */
export async function startBridgeHarness(
  fakeOpts: FakeBridgeOptions = {},
  adapterOpts: Partial<WhatsAppAdapterOptions> = {},
  config: Record<string, unknown> = {},
): Promise<BridgeHarness> {
  const bridge = await FakeBridge.start(fakeOpts);
  const run = runAdapter(
    { enabled: true, bridge_url: bridge.url, ...config },
    { initialBackoffMs: 20, maxBackoffMs: 200, random: () => 0.5, readyTimeoutMs: 5_000, ...adapterOpts },
  );
  const close = run.close;
  return Object.assign(run, {
    bridge,
    async close() {
      await close();
      await bridge.close();
    },
  });
}

export interface NativeHarness extends Run {
  sockets: FakeSocketFactory;
  /** what was drawn for the owner (QR codes) */
  qrOut: string[];
  /** messages the injected download function was asked for */
  downloads: unknown[];
}

/**
 * A native-mode adapter with a fake socket factory and download function;
 * the credential store is baileys' real useMultiFileAuthState in a temp dir.
 */
export function nativeHarness(adapterOpts: Partial<WhatsAppAdapterOptions> = {}, config: Record<string, unknown> = {}): NativeHarness {
  const sockets = new FakeSocketFactory();
  const qrOut: string[] = [];
  const downloads: unknown[] = [];
  const run = runAdapter(
    { enabled: true, use_native: true, ...config },
    {
      socketFactory: sockets.make,
      downloadMedia: async (message) => {
        downloads.push(message);
        return Buffer.from("OggS-fake-voice");
      },
      qrOut: { write: (text: string) => qrOut.push(text) },
      initialBackoffMs: 20,
      maxBackoffMs: 200,
      random: () => 0.5,
      ...adapterOpts,
    },
  );
  return Object.assign(run, { sockets, qrOut, downloads });
}

/** starts a native harness and opens its first socket; resolves once the channel is online */
export async function onlineNative(h: NativeHarness): Promise<FakeWaSocket> {
  await h.start();
  const sock = await h.sockets.waitForSocket(1);
  sock.open();
  await h.waitForStatus("online");
  return sock;
}
