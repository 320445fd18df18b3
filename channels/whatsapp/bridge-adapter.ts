// Bridge mode: WhatsApp through a separate bridge process (whatsapp-web.js,
// whatsmeow, baileys based, ...) over the JSON bridge protocol
// (bridge-protocol.ts). `ws` is imported when the channel starts.
//
// A message is handed to the gateway as it arrives, and a frame written to
// the bridge is all a send can confirm. A bridge that announces
// acknowledgements (status frame `"acks": true`, bridge-protocol.ts) gets an
// ack per message once the gateway stored it, and replays what was not
// acknowledged after a reconnect or a gateway crash; with any other bridge, a
// message pushed in the instant before a crash, or while the gateway is
// down, is lost (README).
import { randomUUID } from "node:crypto";
import { ChannelError, type ChannelContext, type OutboundChunk } from "../../src/core/channel.ts";
import { systemClock, type Clock } from "../../src/core/clock.ts";
import type { Logger } from "../../src/core/logger.ts";
import { Backoff } from "../../src/core/backoff.ts";
import { BridgeConnection } from "./bridge.ts";
import { BridgeError, BridgeMessage, BridgeStatus, ackFrame, frameId, normalizeBridgeMessage, outboundFrame, parseFrame } from "./bridge-protocol.ts";
import { displayUrl, type ResolvedWhatsAppConfig } from "./config.ts";
import { MAX_MEDIA_BYTES, downloadUrl, type FetchLike } from "./download.ts";
import { markdownToWhatsApp } from "./format.ts";
import { InboundQueue } from "./inbound.ts";
import { chatJid, normalizeJid } from "./jid.ts";
import type { WhatsAppAdapter, WhatsAppAdapterOptions } from "./types.ts";
import { BRIDGE_CAPABILITIES } from "./types.ts";
import { errorMessage } from "../../src/core/errors.ts";

export class BridgeWhatsApp implements WhatsAppAdapter {
  readonly id = "whatsapp";
  readonly mode = "bridge" as const;
  readonly capabilities = BRIDGE_CAPABILITIES;
  private readonly cfg: ResolvedWhatsAppConfig;
  private readonly opts: WhatsAppAdapterOptions;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly fetchImpl: FetchLike;
  private readonly inbound: InboundQueue;
  private conn: BridgeConnection | undefined;
  private me: string | undefined;
  /** the bridge said it keeps messages until acknowledged (status frame `acks`) */
  private acks = false;
  /** bumped by every start() and stop(), so a start() overtaken by stop() gives up */
  private generation = 0;

  constructor(cfg: ResolvedWhatsAppConfig, opts: WhatsAppAdapterOptions) {
    this.cfg = cfg;
    this.opts = opts;
    this.log = opts.logger;
    this.clock = opts.clock ?? systemClock;
    this.fetchImpl = opts.fetch ?? ((url, init) => fetch(url, init));
    this.inbound = new InboundQueue(this.log);
  }

  get botJid(): string | undefined {
    return this.me;
  }

  get connected(): boolean {
    return this.conn?.connected === true;
  }

  async start(ctx: ChannelContext): Promise<void> {
    const generation = ++this.generation;
    await this.halt();
    if (generation !== this.generation || ctx.signal.aborted) return;
    ctx.setStatus("connecting");
    const { WebSocket } = await import("ws");
    if (generation !== this.generation || ctx.signal.aborted) return;
    const conn: BridgeConnection = new BridgeConnection({
      url: this.cfg.bridgeUrl,
      WebSocket,
      onText: (text) => this.onText(text, ctx, conn),
      setStatus: (state, detail) => {
        if (this.conn === conn && !ctx.signal.aborted) ctx.setStatus(state, detail);
      },
      logger: this.log,
      clock: this.clock,
      backoff: new Backoff({
        initialMs: this.opts.initialBackoffMs ?? 1_000,
        maxMs: this.opts.maxBackoffMs ?? 60_000,
        random: this.opts.random ?? Math.random,
      }),
      stableAfterMs: this.opts.stableAfterMs ?? 30_000,
      pingIntervalMs: this.opts.pingIntervalMs ?? 30_000,
      handshakeTimeoutMs: this.opts.handshakeTimeoutMs ?? 15_000,
    });
    this.conn = conn;
    // a late abort of an earlier run's signal must not stop a newer run
    ctx.signal.addEventListener("abort", () => this.conn === conn && void this.stop(), { once: true });
    try {
      await conn.start(this.opts.readyTimeoutMs ?? 30_000);
    } catch (err) {
      if (this.conn !== conn || ctx.signal.aborted) return;
      const reason = errorMessage(err);
      this.log.error({ reason }, "WhatsApp bridge channel could not connect");
      ctx.setStatus("offline", reason);
      await this.halt();
      throw new Error(reason);
    }
    if (this.conn !== conn || ctx.signal.aborted) return;
    this.log.info({ bridge: displayUrl(this.cfg.bridgeUrl) }, "WhatsApp channel started (bridge mode)");
  }

  async stop(): Promise<void> {
    this.generation++;
    await this.halt();
  }

  private async halt(): Promise<void> {
    const conn = this.conn;
    this.conn = undefined;
    if (conn) await conn.stop();
  }

  async send(chatId: string, chunk: OutboundChunk): Promise<{ messageId: string }> {
    const conn = this.conn;
    if (!conn) throw new Error("WhatsApp channel is not running; start it first (the message will be retried)");
    // the chat exactly as the bridge named it; a bare phone number becomes a JID
    const to = chatId.includes("@") ? chatId.trim() : chatJid(chatId);
    const body = chunk.format === "markdown" ? markdownToWhatsApp(chunk.text) : chunk.text;
    const text = body.length > BRIDGE_CAPABILITIES.maxTextLength ? body.slice(0, BRIDGE_CAPABILITIES.maxTextLength) : body;
    if (text.length < body.length) this.log.warn({ chatId: to, length: body.length }, "WhatsApp message over 4096 characters was cut");
    if (!text.trim() && !chunk.media) throw new ChannelError("permanent", "refusing to send an empty WhatsApp message (no text and no media)");
    await conn.send(outboundFrame(to, text, chunk.media));
    return { messageId: `bridge-${randomUUID()}` };
  }

  /** a live bridge connection */
  async probe(): Promise<void> {
    const conn = this.conn;
    if (!conn) throw new Error("WhatsApp channel is not running (start it first)");
    if (!conn.connected) throw new Error(`WhatsApp bridge is not connected${conn.lastError ? `: ${conn.lastError}` : ""}`);
  }

  private async onText(text: string, ctx: ChannelContext, conn: BridgeConnection): Promise<void> {
    if (this.conn !== conn || ctx.signal.aborted) return;
    const parsed = parseFrame(text);
    if (!parsed.ok) {
      this.log.warn({ reason: parsed.reason }, "ignoring a malformed frame from the WhatsApp bridge");
      return;
    }
    switch (parsed.type) {
      case "message": {
        const taken = await this.onMessage(parsed.frame, ctx);
        const id = frameId(parsed.frame);
        if (taken && this.acks && id !== undefined) await this.ack(conn, id);
        return;
      }
      case "status": {
        const s = BridgeStatus.safeParse(parsed.frame);
        const me = s.success && s.data.me ? normalizeJid(s.data.me) : undefined;
        if (me) this.me = me;
        if (s.success && typeof s.data.acks === "boolean") this.acks = s.data.acks;
        const status = s.success ? (s.data.status ?? undefined) : undefined;
        this.log.info({ status, me: this.me }, "WhatsApp bridge status");
        if (status && /^(connected|open|ready|online)$/i.test(status)) ctx.setStatus("online");
        return;
      }
      case "qr":
        this.log.warn("the WhatsApp bridge is not paired with a phone yet: scan the QR code the bridge shows (WhatsApp → Linked devices → Link a device)");
        ctx.setStatus("online", "bridge connected, but WhatsApp is not paired yet: scan the QR code the bridge shows");
        return;
      case "error": {
        const e = BridgeError.safeParse(parsed.frame);
        const message = e.success ? (e.data.error ?? e.data.message ?? undefined) : undefined;
        this.log.warn({ error: message?.slice(0, 300) }, "the WhatsApp bridge reported an error");
        return;
      }
      default:
        this.log.debug({ type: parsed.type.slice(0, 40) }, "ignoring a WhatsApp bridge frame of unknown type");
    }
  }

  /** tells the bridge it may forget a message; a failed write only means it comes again (deduped) */
  private async ack(conn: BridgeConnection, id: string | number): Promise<void> {
    try {
      await conn.send(ackFrame(id));
    } catch (err) {
      this.log.debug({ err: errorMessage(err) }, "could not acknowledge a WhatsApp bridge message; the bridge sends it again");
    }
  }

  /** false when the gateway did not take the message (it must not be acknowledged) */
  private async onMessage(frame: unknown, ctx: ChannelContext): Promise<boolean> {
    const parsed = BridgeMessage.safeParse(frame);
    if (!parsed.success) {
      const field = parsed.error.issues[0]?.path.join(".") || "frame";
      this.log.warn({ field }, "ignoring a WhatsApp bridge message of unexpected shape");
      return true;
    }
    const msg = normalizeBridgeMessage(parsed.data, {
      botJid: this.me,
      download: (url, size) =>
        downloadUrl(url, { maxBytes: this.opts.maxMediaBytes ?? MAX_MEDIA_BYTES, reportedSize: size, fetch: this.fetchImpl }),
      skipped: (reason) => this.log.warn({ reason }, "skipping a WhatsApp media entry"),
    });
    if (!msg) return true;
    return this.inbound.push(ctx, msg);
  }
}
