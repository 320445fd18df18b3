// The fake's long-connection server. The client POSTs /callback/ws/endpoint
// and gets a one-time URL (with device_id, service_id and a ticket) plus
// ClientConfig; it connects, pings (control frames; answered with a pong
// carrying ClientConfig), and receives events as data frames, possibly split
// into fragments (headers sum/seq). It answers each event with the same
// frame carrying {"code": 200} (or 500) as payload. Unanswered or refused
// events are delivered again: on the next connection, or after a short
// wait when the client answered 500 — Feishu's at-least-once delivery.
// A connection gets events once it has pinged (the SDK pings the moment its
// socket opens but attaches its frame listener a moment later; frames sent
// before the ping could be lost in between).
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import { newId } from "./events.ts";
import { decodeFrame, encodeFrame, headerOf, METHOD_CONTROL, METHOD_DATA, type Frame } from "./frames.ts";

export interface LongConnOptions {
  /** ClientConfig the endpoint and every pong hand out (seconds) */
  pingIntervalSeconds?: number;
  reconnectIntervalSeconds?: number;
  reconnectNonceSeconds?: number;
  reconnectCount?: number;
  /** wait before delivering again an event the client answered with a failure; default 100 ms */
  redeliverAfterMs?: number;
}

interface Pending {
  frameId: string;
  eventId: string;
  payload: Buffer;
  fragments: number;
  attempts: number;
}

export interface Ack {
  frameId: string;
  code: number;
}

export class FakeLongConn {
  readonly serviceId = 33554678;
  private readonly opts: Required<LongConnOptions>;
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sockets: WebSocket[] = [];
  /** connections that pinged: the SDK pings the moment it connects, and listens for frames only after that */
  private readonly ready = new WeakSet<WebSocket>();
  private readonly tickets = new Set<string>();
  private readonly pending = new Map<string, Pending>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private base: () => string;
  /** connections accepted so far */
  connections = 0;
  pings = 0;
  /** event frames sent, fragments counted once */
  deliveries = 0;
  readonly acks: Ack[] = [];
  /** every frame the client sent that could not be decoded */
  readonly badFrames: string[] = [];
  /** the endpoint answers this code instead of a URL (e.g. 514 auth failed, 1000040343 busy) */
  endpointRefusal: { code: number; msg: string } | undefined;
  /** refuse the WebSocket handshake of this many next connections */
  refuseHandshakes = 0;

  constructor(baseUrl: () => string, opts: LongConnOptions = {}) {
    this.base = baseUrl;
    this.opts = {
      pingIntervalSeconds: opts.pingIntervalSeconds ?? 120,
      reconnectIntervalSeconds: opts.reconnectIntervalSeconds ?? 0.1,
      reconnectNonceSeconds: opts.reconnectNonceSeconds ?? 0,
      reconnectCount: opts.reconnectCount ?? -1,
      redeliverAfterMs: opts.redeliverAfterMs ?? 100,
    };
  }

  clientConfig(): Record<string, number> {
    return {
      PingInterval: this.opts.pingIntervalSeconds,
      ReconnectCount: this.opts.reconnectCount,
      ReconnectInterval: this.opts.reconnectIntervalSeconds,
      ReconnectNonce: this.opts.reconnectNonceSeconds,
    };
  }

  /** a one-time connection URL, as the endpoint hands it out */
  issueUrl(): string {
    const ticket = newId("tk-");
    this.tickets.add(ticket);
    const ws = this.base().replace(/^http/, "ws");
    return `${ws}/ws/v2?fpid=493&aid=552564&device_id=${newId("dev")}&access_key=${newId("ak")}&service_id=${this.serviceId}&ticket=${ticket}`;
  }

  get open(): number {
    return this.sockets.length;
  }

  /** events handed out but not yet answered with 200 */
  get unacknowledged(): number {
    return this.pending.size;
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? "/", "http://fake");
    const ticket = url.searchParams.get("ticket") ?? "";
    if (url.pathname !== "/ws/v2" || !this.tickets.delete(ticket) || this.refuseHandshakes > 0) {
      if (this.refuseHandshakes > 0) this.refuseHandshakes--;
      socket.end("HTTP/1.1 403 Forbidden\r\nhandshake-status: 403\r\nhandshake-msg: invalid ticket\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
  }

  /** queues an event and delivers it to the newest connection, if there is one */
  push(eventId: string, envelope: unknown, fragments = 1): string {
    const frameId = newId("");
    const p: Pending = { frameId, eventId, payload: Buffer.from(JSON.stringify(envelope)), fragments: Math.max(1, fragments), attempts: 0 };
    this.pending.set(frameId, p);
    const ws = this.newestReady();
    if (ws) this.deliver(ws, p);
    return frameId;
  }

  /** sends raw bytes to the newest connection (malformed-frame tests) */
  sendRaw(data: Buffer): void {
    this.newestReady()?.send(data);
  }

  private newestReady(): WebSocket | undefined {
    return this.sockets.filter((ws) => this.ready.has(ws)).at(-1);
  }

  /** the platform drops every connection (TCP reset, no close frame) */
  async dropConnection(): Promise<void> {
    const closing = this.sockets.map((ws) => new Promise<void>((resolve) => ws.once("close", () => resolve())));
    for (const ws of this.sockets) ws.terminate();
    await Promise.all(closing);
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    await this.dropConnection();
    this.wss.close();
  }

  private accept(ws: WebSocket): void {
    this.connections++;
    this.sockets.push(ws);
    ws.on("message", (data: Buffer) => this.onFrame(ws, data));
    ws.on("close", () => {
      const i = this.sockets.indexOf(ws);
      if (i >= 0) this.sockets.splice(i, 1);
    });
    ws.on("error", () => undefined);
  }

  private deliver(ws: WebSocket, p: Pending): void {
    p.attempts++;
    this.deliveries++;
    const size = Math.ceil(p.payload.length / p.fragments);
    for (let seq = 0; seq < p.fragments; seq++) {
      const frame: Frame = {
        seqId: 0,
        logId: 0,
        service: this.serviceId,
        method: METHOD_DATA,
        headers: [
          { key: "type", value: "event" },
          { key: "message_id", value: p.frameId },
          { key: "sum", value: String(p.fragments) },
          { key: "seq", value: String(seq) },
          { key: "trace_id", value: newId("tr") },
        ],
        payload: p.payload.subarray(seq * size, (seq + 1) * size),
      };
      ws.send(encodeFrame(frame));
    }
  }

  private onFrame(ws: WebSocket, data: Buffer): void {
    let frame: Frame;
    try {
      frame = decodeFrame(data);
    } catch (err) {
      this.badFrames.push(String(err));
      return;
    }
    const type = headerOf(frame, "type");
    if (frame.method === METHOD_CONTROL && type === "ping") {
      this.pings++;
      if (!this.ready.has(ws)) {
        this.ready.add(ws);
        // the backlog: events not yet answered with 200
        for (const p of this.pending.values()) this.deliver(ws, p);
      }
      ws.send(
        encodeFrame({
          seqId: 0,
          logId: 0,
          service: this.serviceId,
          method: METHOD_CONTROL,
          headers: [{ key: "type", value: "pong" }],
          payload: Buffer.from(JSON.stringify(this.clientConfig())),
        }),
      );
      return;
    }
    if (frame.method !== METHOD_DATA) return;
    const frameId = headerOf(frame, "message_id") ?? "";
    let code = 0;
    try {
      code = (JSON.parse(frame.payload?.toString() ?? "") as { code?: number }).code ?? 0;
    } catch {
      this.badFrames.push(`unparseable answer to ${frameId}`);
    }
    this.acks.push({ frameId, code });
    const p = this.pending.get(frameId);
    if (!p) return;
    if (code === 200) {
      this.pending.delete(frameId);
      return;
    }
    if (p.attempts >= 10) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      const target = this.newestReady();
      if (target && this.pending.has(frameId)) this.deliver(target, p);
    }, this.opts.redeliverAfterMs);
    this.timers.add(t);
  }
}
