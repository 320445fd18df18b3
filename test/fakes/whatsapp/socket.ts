// A fake baileys socket for the native mode. WhatsApp Web has no local fake
// server, so the native adapter is tested at its boundary: the adapter's
// socketFactory option makes these instead of real sockets. Each has the
// `ev` API shape baileys uses (connection.update, creds.update,
// messages.upsert), sendMessage, sendPresenceUpdate, end and user; tests
// drive it (qr, pair, open, close, upsert) and read back what was sent.
import { EventEmitter } from "node:events";
import type { Logger } from "pino";
import type { WaAuthState, WaConnectionUpdate, WaEvents, WaSocketLike } from "../../../channels/whatsapp/native-types.ts";

/** the shape of baileys' Boom errors: output.statusCode carries the DisconnectReason */
export function boom(statusCode: number, message: string): Error {
  return Object.assign(new Error(message), { isBoom: true, output: { statusCode, payload: { statusCode, message } } });
}

export const BOT = { id: "4917000000001:5@s.whatsapp.net", lid: "98765432100012:5@lid", name: "Switchboard" };

export class FakeWaSocket implements WaSocketLike {
  private readonly emitter = new EventEmitter();
  readonly auth: WaAuthState;
  user: WaSocketLike["user"];
  readonly sent: { jid: string; content: Record<string, unknown> }[] = [];
  readonly presence: { type: string; jid?: string }[] = [];
  ended = false;
  /** the next sendMessage / sendPresenceUpdate throws this */
  failNext: Error | undefined;
  private ids = 0;

  readonly ev = {
    on: <K extends keyof WaEvents>(event: K, listener: (arg: WaEvents[K]) => void) => {
      this.emitter.on(event, listener);
    },
    removeAllListeners: (event: keyof WaEvents) => {
      this.emitter.removeAllListeners(event);
    },
  };

  constructor(auth: WaAuthState) {
    this.auth = auth;
  }

  emit<K extends keyof WaEvents>(event: K, arg: WaEvents[K]): void {
    this.emitter.emit(event, arg);
  }

  qr(code = "2@fakeqr,abc,def"): void {
    this.emit("connection.update", { qr: code });
  }

  /** the phone scanned the code: credentials gain `me` and are saved */
  pair(user = BOT): void {
    this.auth.creds.me = { id: user.id, name: user.name };
    this.emit("creds.update", { me: this.auth.creds.me });
  }

  open(user = BOT): void {
    this.user = user;
    this.emit("connection.update", { connection: "open" });
  }

  close(statusCode: number, message = "Connection Closed"): void {
    const update: WaConnectionUpdate = { connection: "close", lastDisconnect: { error: boom(statusCode, message), date: new Date() } };
    this.emit("connection.update", update);
  }

  upsert(messages: unknown[], type = "notify"): void {
    this.emit("messages.upsert", { messages, type });
  }

  async sendMessage(jid: string, content: Record<string, unknown>): Promise<{ key: { id: string } }> {
    this.take();
    // baileys needs a document's MIME type to build the message (it cannot guess it from a Buffer)
    if ("document" in content && typeof content.mimetype !== "string") throw boom(400, "document message without mimetype");
    this.sent.push({ jid, content });
    return { key: { id: `3EB0FAKE${++this.ids}` } };
  }

  async sendPresenceUpdate(type: "composing" | "paused" | "available" | "unavailable" | "recording", jid?: string): Promise<void> {
    this.take();
    this.presence.push({ type, ...(jid ? { jid } : {}) });
  }

  /** like baileys: ending emits a close of its own (the adapter must not take it for a drop) */
  end(error: Error | undefined): void {
    if (this.ended) return;
    this.ended = true;
    this.close(428, error?.message ?? "Connection Closed");
  }

  private take(): void {
    const err = this.failNext;
    this.failNext = undefined;
    if (err) throw err;
  }
}

/** the adapter's socketFactory: records every socket it makes */
export class FakeSocketFactory {
  readonly sockets: FakeWaSocket[] = [];
  readonly loggers: Logger[] = [];
  private waiters: (() => void)[] = [];

  readonly make = ({ auth, logger }: { auth: WaAuthState; logger: Logger }): FakeWaSocket => {
    const sock = new FakeWaSocket(auth);
    this.sockets.push(sock);
    this.loggers.push(logger);
    for (const w of [...this.waiters]) w();
    return sock;
  };

  get last(): FakeWaSocket {
    const s = this.sockets.at(-1);
    if (!s) throw new Error("fake WhatsApp: no socket was made yet");
    return s;
  }

  /**
   * resolves with socket number `n` (1-based) once it exists, a macrotask
   * later, so the adapter has attached its listeners (real baileys emits
   * nothing before makeWASocket returned either)
   */
  async waitForSocket(n: number, timeoutMs = 5_000): Promise<FakeWaSocket> {
    const sock = await this.socketMade(n, timeoutMs);
    await new Promise((r) => setImmediate(r));
    return sock;
  }

  private socketMade(n: number, timeoutMs: number): Promise<FakeWaSocket> {
    if (this.sockets.length >= n) return Promise.resolve(this.sockets[n - 1]!);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`fake WhatsApp: timed out waiting for socket #${n} (have ${this.sockets.length})`)), timeoutMs);
      const check = () => {
        if (this.sockets.length < n) return;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve(this.sockets[n - 1]!);
      };
      this.waiters.push(check);
    });
  }
}

let seq = 0;

/** a baileys-shaped incoming message */
export function waMessage(opts: {
  from: string;
  chat?: string;
  participantAlt?: string;
  remoteJidAlt?: string;
  fromMe?: boolean;
  id?: string;
  pushName?: string;
  message: Record<string, unknown>;
  timestamp?: number;
}): Record<string, unknown> {
  const chat = opts.chat ?? opts.from;
  const group = chat.endsWith("@g.us");
  return {
    key: {
      remoteJid: chat,
      fromMe: opts.fromMe ?? false,
      id: opts.id ?? `3EB0IN${++seq}`,
      ...(group ? { participant: opts.from } : {}),
      ...(opts.participantAlt ? { participantAlt: opts.participantAlt } : {}),
      ...(opts.remoteJidAlt ? { remoteJidAlt: opts.remoteJidAlt } : {}),
    },
    ...(opts.pushName ? { pushName: opts.pushName } : {}),
    messageTimestamp: opts.timestamp ?? 1_767_225_600,
    message: opts.message,
  };
}
