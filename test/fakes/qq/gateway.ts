// The fake QQ event gateway (a `ws` server on the fake's HTTP server, path
// /websocket): HELLO with a heartbeat interval, IDENTIFY checked ("QQBot
// <valid token>", intents, shard [0, 1]) and answered with READY, heartbeats
// recorded and acknowledged, numbered DISPATCHes kept per session so a
// RESUME replays what a dropped connection missed and then sends RESUMED,
// and on demand: a dropped socket, RECONNECT (op 7), INVALID_SESSION (op 9)
// and close codes. Like QQ, a session stays resumable only for a while after
// its connection went away (`resumeWindowMs`, default 5 minutes): a later
// RESUME gets INVALID_SESSION and what was kept for it is gone; a new
// IDENTIFY also ends the earlier session.
import { randomBytes, randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocket, WebSocketServer } from "ws";
import { z } from "zod";

export const Op = { Dispatch: 0, Heartbeat: 1, Identify: 2, Resume: 6, Reconnect: 7, InvalidSession: 9, Hello: 10, HeartbeatAck: 11 } as const;
export const GROUP_AND_C2C_EVENT = 1 << 25;
/** intents this fake bot has permission for (guilds, members, DMs, group+C2C, public guild messages) */
const PERMITTED = (1 << 0) | (1 << 1) | (1 << 12) | GROUP_AND_C2C_EVENT | (1 << 30);

const Frame = z.object({ op: z.number().int(), d: z.unknown().optional() });
const Identify = z.object({
  token: z.string().regex(/^QQBot \S+$/),
  intents: z.number().int().nonnegative(),
  shard: z.tuple([z.number().int(), z.number().int()]),
  properties: z.record(z.string(), z.unknown()).optional(),
});
const Resume = z.object({ token: z.string().regex(/^QQBot \S+$/), session_id: z.string(), seq: z.number().int().nonnegative() });

export type IdentifyRecord = z.infer<typeof Identify>;
export interface ResumeRecord {
  session_id: string;
  seq: number;
  /** dispatches replayed because of it */
  replayed: number;
}

interface Session {
  id: string;
  intents: number;
  seq: number;
  events: { s: number; t: string; d: unknown; id: string }[];
  conn: WebSocket | null;
  valid: boolean;
  /** when its connection went away (null while connected) */
  downSince: number | null;
}

export interface FakeGatewayOptions {
  heartbeatIntervalMs: number;
  tokenValid: (token: string) => boolean;
  bot: { id: string; username: string };
  /** how long after its connection went away a session can still be resumed; default 5 minutes */
  resumeWindowMs?: number;
  now?: () => number;
}

export class FakeQqGateway {
  private readonly opts: FakeGatewayOptions;
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sockets = new Set<WebSocket>();
  private readonly sessions = new Map<string, Session>();
  private current: Session | null = null;
  ackHeartbeats = true;
  /** refuse this many upcoming WebSocket upgrades with HTTP 503 */
  refuseUpgrades = 0;
  readonly identifies: IdentifyRecord[] = [];
  readonly resumes: ResumeRecord[] = [];
  readonly heartbeats: (number | null)[] = [];
  /** close codes the fake sent */
  readonly closes: number[] = [];
  /** WebSocket connections accepted */
  connections = 0;
  refusedUpgrades = 0;
  /** RESUMEs answered with INVALID_SESSION */
  invalidResumes = 0;

  constructor(opts: FakeGatewayOptions) {
    this.opts = opts;
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (!(req.url ?? "").startsWith("/websocket")) {
      socket.end("HTTP/1.1 404 Not Found\r\n\r\n");
      return;
    }
    if (this.refuseUpgrades > 0) {
      this.refuseUpgrades--;
      this.refusedUpgrades++;
      socket.end("HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n");
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws));
  }

  get sessionId(): string | undefined {
    return this.current?.id;
  }
  /** the live session's socket is open */
  get connected(): boolean {
    return this.current?.conn?.readyState === WebSocket.OPEN;
  }
  get lastSeq(): number {
    return this.current?.seq ?? 0;
  }
  openSockets(): number {
    return [...this.sockets].filter((s) => s.readyState === WebSocket.OPEN).length;
  }

  /** one numbered dispatch: sent now, or kept for a RESUME while the socket is down */
  dispatch(t: string, d: unknown): number {
    const session = this.current;
    if (!session) throw new Error("fake QQ: no gateway session yet (start the adapter first)");
    const s = ++session.seq;
    const event = { s, t, d, id: `${t}:${randomBytes(8).toString("hex")}` };
    session.events.push(event);
    const ws = session.conn;
    if (ws?.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ op: Op.Dispatch, ...event }));
    return s;
  }

  /** whether the live session subscribed to `intent` */
  subscribed(intent: number): boolean {
    return ((this.current?.intents ?? 0) & intent) !== 0;
  }

  /** the socket dies without a close frame (the client sees 1006) */
  dropConnection(): void {
    this.current?.conn?.terminate();
  }

  sendReconnect(): void {
    this.sendOp(Op.Reconnect, undefined);
  }

  /** op 9: the session is forgotten; the client must IDENTIFY again */
  sendInvalidSession(): void {
    if (this.current) this.current.valid = false;
    this.sendOp(Op.InvalidSession, false);
  }

  closeConnection(code: number, reason = ""): void {
    const ws = this.current?.conn;
    if (!ws) return;
    this.closes.push(code);
    ws.close(code, reason);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.terminate();
    this.sockets.clear();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  private sendOp(op: number, d: unknown): void {
    const ws = this.current?.conn;
    if (ws?.readyState === WebSocket.OPEN) ws.send(JSON.stringify(d === undefined ? { op } : { op, d }));
  }

  private refuse(ws: WebSocket, code: number, reason: string): void {
    this.closes.push(code);
    ws.close(code, reason);
  }

  private onConnection(ws: WebSocket): void {
    this.connections++;
    this.sockets.add(ws);
    ws.on("close", () => {
      this.sockets.delete(ws);
      for (const s of this.sessions.values())
        if (s.conn === ws) {
          s.conn = null;
          s.downSince = this.now();
        }
    });
    ws.on("error", () => undefined);
    ws.on("message", (data, isBinary) => this.onFrame(ws, isBinary ? "" : data.toString()));
    ws.send(JSON.stringify({ op: Op.Hello, d: { heartbeat_interval: this.opts.heartbeatIntervalMs } }));
  }

  private onFrame(ws: WebSocket, text: string): void {
    let frame: z.infer<typeof Frame>;
    try {
      frame = Frame.parse(JSON.parse(text));
    } catch {
      return this.refuse(ws, 4002, "invalid payload");
    }
    switch (frame.op) {
      case Op.Heartbeat: {
        const d = z.number().int().nullable().safeParse(frame.d ?? null);
        if (!d.success) return this.refuse(ws, 4002, "invalid heartbeat");
        this.heartbeats.push(d.data);
        if (this.ackHeartbeats) ws.send(JSON.stringify({ op: Op.HeartbeatAck, d: { heartbeat_interval: this.opts.heartbeatIntervalMs } }));
        return;
      }
      case Op.Identify:
        return this.onIdentify(ws, frame.d);
      case Op.Resume:
        return this.onResume(ws, frame.d);
      default:
        return this.refuse(ws, 4001, "invalid opcode");
    }
  }

  private onIdentify(ws: WebSocket, d: unknown): void {
    const parsed = Identify.safeParse(d);
    if (!parsed.success) return this.refuse(ws, 4002, "invalid identify payload");
    const id = parsed.data;
    this.identifies.push(id);
    if (!this.opts.tokenValid(id.token.slice("QQBot ".length))) return this.refuse(ws, 4004, "invalid token");
    if (id.shard[0] !== 0 || id.shard[1] !== 1) return this.refuse(ws, 4010, "invalid shard");
    if ((id.intents & ~PERMITTED) !== 0) return this.refuse(ws, 4014, "disallowed intents");
    if (this.current) this.current.valid = false;
    const session: Session = { id: randomUUID(), intents: id.intents, seq: 0, events: [], conn: ws, valid: true, downSince: null };
    this.sessions.set(session.id, session);
    this.current = session;
    this.dispatch("READY", { version: 1, session_id: session.id, user: { ...this.opts.bot, bot: true }, shard: [0, 1] });
  }

  private onResume(ws: WebSocket, d: unknown): void {
    const parsed = Resume.safeParse(d);
    if (!parsed.success) return this.refuse(ws, 4002, "invalid resume payload");
    if (!this.opts.tokenValid(parsed.data.token.slice("QQBot ".length))) return this.refuse(ws, 4004, "invalid token");
    const session = this.sessions.get(parsed.data.session_id);
    const window = this.opts.resumeWindowMs ?? 5 * 60_000;
    if (session && session.downSince !== null && this.now() - session.downSince >= window) {
      session.valid = false;
      session.events = [];
    }
    if (!session || !session.valid || session !== this.current) {
      this.invalidResumes++;
      ws.send(JSON.stringify({ op: Op.InvalidSession, d: false }));
      return;
    }
    const seq = parsed.data.seq;
    if (seq > session.seq) return this.refuse(ws, 4007, "invalid seq");
    if (session.conn && session.conn !== ws) session.conn.terminate();
    session.conn = ws;
    session.downSince = null;
    const missed = session.events.filter((e) => e.s > seq);
    this.resumes.push({ session_id: session.id, seq, replayed: missed.length });
    for (const e of missed) ws.send(JSON.stringify({ op: Op.Dispatch, ...e }));
    this.dispatch("RESUMED", "");
  }
}
