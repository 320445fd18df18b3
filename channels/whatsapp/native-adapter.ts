// Native mode: this process is a linked WhatsApp device (baileys, imported
// when the channel starts). Pairing: the QR code baileys hands out is drawn
// in the terminal, or `switchboard channels login whatsapp` (login.ts) pairs
// ahead of time. start() resolves once the socket is made; the status tells
// "online" when WhatsApp accepted it.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ChannelError, type ChannelContext, type InboundMessage, type OutboundChunk } from "../../src/core/channel.ts";
import { systemClock, type Clock } from "../../src/core/clock.ts";
import type { Logger } from "../../src/core/logger.ts";
import { Backoff } from "../../src/core/backoff.ts";
import type { ResolvedWhatsAppConfig } from "./config.ts";
import { MAX_MEDIA_BYTES } from "./download.ts";
import { InboundQueue } from "./inbound.ts";
import { chatJid, normalizeJid } from "./jid.ts";
import { NativeConnection } from "./native.ts";
import { normalizeNativeMessage } from "./native-normalize.ts";
import { mapSendError, planSend } from "./native-send.ts";
import { loadBaileysRuntime, type WaRuntime, type WaSocketLike } from "./native-types.ts";
import { SCAN_HELP, renderQr } from "./qr.ts";
import { NATIVE_CAPABILITIES, type WhatsAppAdapter, type WhatsAppAdapterOptions } from "./types.ts";
import { errorMessage } from "../../src/core/errors.ts";

export class NativeWhatsApp implements WhatsAppAdapter {
  readonly id = "whatsapp";
  readonly mode = "native" as const;
  readonly capabilities = NATIVE_CAPABILITIES;
  private readonly cfg: ResolvedWhatsAppConfig;
  private readonly opts: WhatsAppAdapterOptions;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly inbound: InboundQueue;
  private conn: NativeConnection | undefined;
  private runtimeCache: Promise<WaRuntime> | undefined;
  private generation = 0;
  /** the QR text WhatsApp asks to have scanned, until the account is paired (the control page shows it) */
  private waitingQr: string | undefined;

  constructor(cfg: ResolvedWhatsAppConfig, opts: WhatsAppAdapterOptions) {
    this.cfg = cfg;
    this.opts = opts;
    this.log = opts.logger;
    this.clock = opts.clock ?? systemClock;
    this.inbound = new InboundQueue(this.log);
  }

  /** the session directory in use */
  get authDir(): string {
    return this.cfg.authDir;
  }

  get botJid(): string | undefined {
    const id = this.conn?.sock?.user?.id;
    return id ? normalizeJid(id) : undefined;
  }

  get connected(): boolean {
    return this.conn?.online === true;
  }

  async start(ctx: ChannelContext): Promise<void> {
    const generation = ++this.generation;
    await this.halt();
    if (generation !== this.generation || ctx.signal.aborted) return;
    ctx.setStatus("connecting");
    const conn: NativeConnection = new NativeConnection({
      authDir: this.cfg.authDir,
      runtime: () => this.runtime(),
      onMessages: (messages, sock) => this.onMessages(messages, sock, ctx),
      showQr: async (qr) => {
        this.waitingQr = qr;
        const out = this.opts.qrOut ?? process.stdout;
        out.write(`\nWhatsApp is not paired with Switchboard yet. ${SCAN_HELP}\n${await renderQr(qr)}\n`);
      },
      setStatus: (state, detail) => {
        if (state === "online") this.waitingQr = undefined;
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
    });
    this.conn = conn;
    ctx.signal.addEventListener("abort", () => this.conn === conn && void this.stop(), { once: true });
    try {
      await conn.start();
    } catch (err) {
      if (this.conn !== conn || ctx.signal.aborted) return;
      const reason = errorMessage(err);
      this.log.error({ reason }, "WhatsApp channel could not start");
      ctx.setStatus("offline", reason);
      await this.halt();
      throw new Error(reason);
    }
    if (this.conn !== conn || ctx.signal.aborted) return;
    this.log.info({ dir: this.cfg.authDir }, "WhatsApp channel started (native mode)");
  }

  async stop(): Promise<void> {
    this.generation++;
    await this.halt();
  }

  /** paired means a saved session: WhatsApp has no credential to ask about before connecting */
  async checkCredentials(): Promise<void> {
    if (!existsSync(join(this.cfg.authDir, "creds.json"))) {
      throw new ChannelError("auth", `WhatsApp is not paired yet (no session in ${this.cfg.authDir}): run \`switchboard channels login whatsapp\` and scan the QR code`);
    }
  }

  pairingCode(): string | undefined {
    return this.conn?.online ? undefined : this.waitingQr;
  }

  private async halt(): Promise<void> {
    const conn = this.conn;
    this.conn = undefined;
    if (conn) await conn.stop();
  }

  async send(chatId: string, chunk: OutboundChunk): Promise<{ messageId: string }> {
    const sock = this.liveSocket("send a message");
    const jid = chatJid(chatId);
    const plan = planSend(chunk, NATIVE_CAPABILITIES.maxTextLength);
    if (plan.truncated) this.log.warn({ chatId: jid, length: chunk.text.length }, "WhatsApp message over 4096 characters was cut");
    let res: Awaited<ReturnType<WaSocketLike["sendMessage"]>>;
    try {
      if (plan.lead) await sock.sendMessage(jid, plan.lead);
      res = await sock.sendMessage(jid, plan.main);
    } catch (err) {
      throw mapSendError(err, jid);
    }
    const id = res?.key?.id;
    if (!id) throw new Error(`WhatsApp accepted the message to ${jid} but returned no message id`);
    return { messageId: id };
  }

  /** "typing…" in the chat until the next message (or ~25 s) */
  async typing(chatId: string): Promise<void> {
    const sock = this.liveSocket("show typing");
    const jid = chatJid(chatId);
    try {
      await sock.sendPresenceUpdate("composing", jid);
    } catch (err) {
      throw mapSendError(err, jid);
    }
  }

  async probe(): Promise<void> {
    this.liveSocket("probe");
  }

  private liveSocket(what: string): WaSocketLike {
    const conn = this.conn;
    if (!conn) throw new Error(`WhatsApp channel is not running; cannot ${what} (start it first)`);
    if (conn.endedFor) throw new Error(conn.endedFor);
    const sock = conn.sock;
    if (!sock || !conn.online) {
      throw new Error(`WhatsApp is not connected${conn.lastError ? ` (${conn.lastError})` : ""}; cannot ${what} now, it will be retried`);
    }
    return sock;
  }

  /** baileys, unless every part was injected (tests) */
  private runtime(): Promise<WaRuntime> {
    const { socketFactory, authState, downloadMedia } = this.opts;
    this.runtimeCache ??= (async () => {
      const base = socketFactory && authState && downloadMedia ? undefined : await loadBaileysRuntime(this.log);
      return {
        socketFactory: socketFactory ?? base!.socketFactory,
        authState: authState ?? base!.authState,
        downloadMedia: downloadMedia ?? base!.downloadMedia,
      };
    })();
    this.runtimeCache.catch(() => {
      this.runtimeCache = undefined;
    });
    return this.runtimeCache;
  }

  private async onMessages(messages: unknown[], sock: WaSocketLike, ctx: ChannelContext): Promise<void> {
    const runtime = await this.runtime();
    for (const raw of messages) {
      const result = normalizeNativeMessage(raw, {
        bot: sock.user ? { id: sock.user.id, lid: sock.user.lid } : undefined,
        download: () => runtime.downloadMedia(raw, sock),
        maxMediaBytes: this.opts.maxMediaBytes ?? MAX_MEDIA_BYTES,
      });
      if (!result.ok) {
        this.log.warn({ reason: result.reason }, "skipping a WhatsApp message of unexpected shape");
        continue;
      }
      const msg: InboundMessage | null = result.msg;
      if (msg) await this.inbound.push(ctx, msg);
    }
  }
}
