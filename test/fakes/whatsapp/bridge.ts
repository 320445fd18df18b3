// A fake WhatsApp bridge on 127.0.0.1 (ephemeral port): a `ws` server
// speaking the JSON bridge protocol. Tests make people talk (`userSays`),
// read back what the adapter sent (`sent`, validated with zod), push raw or
// status frames, drop connections, refuse new ones, and stop answering pings.
// With `acks: true` it is a bridge that keeps messages until the gateway
// acknowledges them (bridge-protocol.ts): it announces that in a status frame
// on every connection, replays what is unacknowledged right after it, and
// keeps what people write while no gateway is connected.
//
//   const bridge = await FakeBridge.start();
//   adapter config: { bridge_url: bridge.url }
import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { WebSocket, WebSocketServer } from "ws";
import { z } from "zod";

export const USER_SERVER = "s.whatsapp.net";

/** a phone number or JID as the JID the bridge uses */
export function jidOf(user: string): string {
  return user.includes("@") ? user : `${user.replace(/^\+/, "")}@${USER_SERVER}`;
}

const OutboundMedia = z.object({
  type: z.string(),
  mimetype: z.string(),
  data: z.string().optional(),
  url: z.string().optional(),
  filename: z.string().optional(),
});

export const OutboundFrame = z.object({
  type: z.literal("message"),
  to: z.string().min(3),
  content: z.string(),
  media: z.array(OutboundMedia).optional(),
});
export type OutboundFrame = z.infer<typeof OutboundFrame>;

const Ack = z.object({ type: z.literal("ack"), id: z.union([z.string().min(1), z.number()]) });

export interface SaysOptions {
  /** sender: a phone number or JID */
  from: string;
  /** chat JID; default the sender's own chat */
  chat?: string;
  text: string;
  id?: string;
  fromName?: string;
  media?: unknown[];
  mentions?: string[];
  timestamp?: number;
}

export interface FakeBridgeOptions {
  /** answer WebSocket pings (ws does by default); false simulates a dead link */
  answerPings?: boolean;
  /** keep messages until acknowledged and replay them on connect */
  acks?: boolean;
}

export class FakeBridge {
  readonly url: string;
  /** frames the adapter sent that match the protocol, in order */
  readonly sent: OutboundFrame[] = [];
  /** frames the adapter sent that did not (raw text) */
  readonly invalid: string[] = [];
  /** connections accepted so far */
  connections = 0;
  /** connection attempts so far, refused ones included */
  attempts = 0;
  /** refuse this many upcoming connections (closed right after opening, code 1013) */
  refuse = 0;
  /** ids the gateway acknowledged, in order */
  readonly acked: (string | number)[] = [];
  /** message frames sent again on a new connection because they were not acknowledged */
  replayed = 0;
  private readonly acks: boolean;
  /** id → frame text, for messages not acknowledged yet (acks mode) */
  private readonly unacked = new Map<string | number, string>();
  private readonly wss: WebSocketServer;
  private readonly clients = new Set<WebSocket>();
  private waiters: (() => void)[] = [];

  private constructor(wss: WebSocketServer, url: string, acks: boolean) {
    this.wss = wss;
    this.url = url;
    this.acks = acks;
    wss.on("connection", (ws) => this.accept(ws));
  }

  static async start(opts: FakeBridgeOptions = {}): Promise<FakeBridge> {
    const wss = await new Promise<WebSocketServer>((resolve, reject) => {
      const server = new WebSocketServer({ host: "127.0.0.1", port: 0, autoPong: opts.answerPings ?? true });
      server.once("listening", () => resolve(server));
      server.once("error", reject);
    });
    const { port } = wss.address() as AddressInfo;
    return new FakeBridge(wss, `ws://127.0.0.1:${port}`, opts.acks ?? false);
  }

  /** clients connected now */
  get connected(): number {
    return [...this.clients].filter((c) => c.readyState === WebSocket.OPEN).length;
  }

  /** a person writes to the bot; returns the frame pushed to every connected client */
  userSays(opts: SaysOptions): Record<string, unknown> {
    const from = jidOf(opts.from);
    const frame = {
      type: "message",
      from,
      chat: opts.chat ?? from,
      content: opts.text,
      id: opts.id ?? `3EB0${randomUUID().replace(/-/g, "").slice(0, 16).toUpperCase()}`,
      ...(opts.fromName ? { from_name: opts.fromName } : {}),
      ...(opts.media ? { media: opts.media } : {}),
      ...(opts.mentions ? { mentions: opts.mentions } : {}),
      timestamp: opts.timestamp ?? Math.floor(Date.now() / 1000),
    };
    if (this.acks) this.unacked.set(frame.id, JSON.stringify(frame));
    this.push(frame);
    return frame;
  }

  /** messages the gateway has not acknowledged yet (acks mode) */
  get unacknowledged(): number {
    return this.unacked.size;
  }

  /** any frame (an object is sent as JSON, a string as is) */
  push(frame: unknown): void {
    const text = typeof frame === "string" ? frame : JSON.stringify(frame);
    for (const ws of this.clients) if (ws.readyState === WebSocket.OPEN) ws.send(text);
  }

  /** a binary frame (not part of the protocol) */
  pushBinary(bytes: Buffer): void {
    for (const ws of this.clients) if (ws.readyState === WebSocket.OPEN) ws.send(bytes, { binary: true });
  }

  /** texts sent to one chat (a phone number or JID), in order */
  sentTo(chat: string): string[] {
    const jid = jidOf(chat);
    return this.sent.filter((f) => f.to === jid).map((f) => f.content);
  }

  /** cuts every connection without a close handshake (a crash or network loss) */
  dropConnections(): void {
    for (const ws of this.clients) ws.terminate();
  }

  /** closes every connection with a close frame */
  closeConnections(code = 1001, reason = "bridge restarting"): void {
    for (const ws of this.clients) ws.close(code, reason);
  }

  /** resolves once `n` frames were sent in total */
  waitForSent(n: number, timeoutMs = 5_000): Promise<OutboundFrame[]> {
    return this.waitFor(() => this.sent.length >= n, `${n} sent frame(s) (have ${this.sent.length})`, timeoutMs).then(() => this.sent);
  }

  /** resolves once `n` connections were accepted in total */
  waitForConnections(n: number, timeoutMs = 5_000): Promise<void> {
    return this.waitFor(() => this.connections >= n && this.connected > 0, `connection #${n}`, timeoutMs);
  }

  waitFor(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== poll);
        reject(new Error(`fake WhatsApp bridge: timed out waiting for ${what}`));
      }, timeoutMs);
      const poll = () => {
        if (!check()) return;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== poll);
        resolve();
      };
      this.waiters.push(poll);
    });
  }

  async close(): Promise<void> {
    for (const ws of this.clients) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private accept(ws: WebSocket): void {
    this.attempts++;
    if (this.refuse > 0) {
      this.refuse--;
      ws.close(1013, "try again later");
      this.notify();
      return;
    }
    this.connections++;
    this.clients.add(ws);
    if (this.acks) {
      ws.send(JSON.stringify({ type: "status", status: "connected", acks: true }));
      for (const text of this.unacked.values()) {
        this.replayed++;
        ws.send(text);
      }
    }
    ws.on("message", (data, isBinary) => {
      const text = isBinary ? "" : data.toString();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      const ack = Ack.safeParse(json);
      if (ack.success) {
        this.acked.push(ack.data.id);
        this.unacked.delete(ack.data.id);
        this.notify();
        return;
      }
      const parsed = OutboundFrame.safeParse(json);
      if (parsed.success) this.sent.push(parsed.data);
      else this.invalid.push(text);
      this.notify();
    });
    ws.on("close", () => {
      this.clients.delete(ws);
      this.notify();
    });
    ws.on("error", () => undefined);
    this.notify();
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }
}
