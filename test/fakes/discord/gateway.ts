// The fake Discord gateway (API v10, encoding=json, no compression): HELLO,
// IDENTIFY (token, intents, shard checked), READY, heartbeats and ACKs,
// numbered DISPATCHes kept per session so RESUME replays what a dropped
// connection missed, RECONNECT / INVALID_SESSION on demand, and the real
// close codes for what Discord refuses (4004 bad token, 4014 disallowed
// intents, ...).
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, WebSocket } from "ws";
import { z } from "zod";
import { PRIVILEGED_INTENTS } from "./payloads.ts";

export const Op = {
  Dispatch: 0,
  Heartbeat: 1,
  Identify: 2,
  Resume: 6,
  Reconnect: 7,
  InvalidSession: 9,
  Hello: 10,
  HeartbeatAck: 11,
} as const;

/** every intent bit v10 defines (0..25 with gaps ignored) */
const KNOWN_INTENTS = (1 << 26) - 1;

const Envelope = z.object({ op: z.number().int(), d: z.unknown().optional() });
const Identify = z.object({
  token: z.string(),
  intents: z.number().int().nonnegative(),
  properties: z.object({ os: z.string(), browser: z.string(), device: z.string() }),
  shard: z.tuple([z.number().int(), z.number().int()]).optional(),
  compress: z.boolean().optional(),
  large_threshold: z.number().int().optional(),
  presence: z.unknown().optional(),
});
const Resume = z.object({ token: z.string(), session_id: z.string(), seq: z.number().int().nullable() });
const HeartbeatData = z.number().int().nullable();

export type IdentifyPayload = z.infer<typeof Identify>;

interface Session {
  id: string;
  intents: number;
  seq: number;
  events: { s: number; t: string; d: unknown }[];
  conn: Conn | null;
  valid: boolean;
}

interface Conn {
  ws: WebSocket;
  session: Session | null;
}

export interface GatewayOptions {
  token: string;
  heartbeatIntervalMs: number;
  /** false: IDENTIFY asking for a privileged intent is closed with 4014 */
  allowPrivilegedIntents: boolean;
  /** READY's `d` for a new session */
  readyData: (sessionId: string) => Record<string, unknown>;
  /** dispatches sent right after READY (GUILD_CREATE) */
  afterReady: (intents: number) => { t: string; d: unknown }[];
}

export class FakeGateway {
  readonly opts: GatewayOptions;
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly conns = new Set<Conn>();
  private current: Session | null = null;
  private readonly sessions = new Map<string, Session>();
  private sessionCounter = 0;
  ackHeartbeats = true;
  readonly connections: { path: string; query: Record<string, string> }[] = [];
  readonly identifies: IdentifyPayload[] = [];
  readonly resumes: { session_id: string; seq: number | null; replayed: number }[] = [];
  readonly heartbeats: (number | null)[] = [];
  /** close codes this fake sent, in order */
  readonly closes: number[] = [];

  constructor(opts: GatewayOptions) {
    this.opts = opts;
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, req));
  }

  /** intents of the live session (0 before IDENTIFY) */
  get intents(): number {
    return this.current?.intents ?? 0;
  }

  get sessionId(): string | undefined {
    return this.current?.id;
  }

  openSockets(): number {
    let n = 0;
    for (const c of this.conns) if (c.ws.readyState === WebSocket.OPEN) n++;
    return n;
  }

  /** sends (or, while disconnected, keeps for RESUME) one numbered dispatch */
  dispatch(t: string, d: unknown): number {
    const session = this.current;
    if (!session) throw new Error("fake Discord: no gateway session yet (start the adapter first)");
    const s = ++session.seq;
    session.events.push({ s, t, d });
    const ws = session.conn?.ws;
    if (ws?.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ op: Op.Dispatch, t, s, d }));
    return s;
  }

  /** closes the live socket without a close frame (the client sees 1006 and resumes) */
  dropConnection(): void {
    this.current?.conn?.ws.terminate();
  }

  /** op 7: the client should close and RESUME */
  sendReconnect(): void {
    this.sendOp(Op.Reconnect, null);
  }

  /** op 9; when not resumable the session is forgotten and the client must IDENTIFY again */
  sendInvalidSession(resumable: boolean): void {
    if (!resumable && this.current) this.current.valid = false;
    this.sendOp(Op.InvalidSession, resumable);
  }

  /** closes the live socket with a gateway close code (4004, 4014, 4000, ...) */
  closeConnection(code: number, reason = ""): void {
    const ws = this.current?.conn?.ws;
    if (!ws) return;
    this.closes.push(code);
    ws.close(code, reason);
  }

  /** stops reading every socket: close handshakes and heartbeats go unanswered (a dead network) */
  freeze(): void {
    for (const c of this.conns) (c.ws as unknown as { _socket?: { pause(): void } })._socket?.pause();
  }

  async close(): Promise<void> {
    for (const c of this.conns) c.ws.terminate();
    this.conns.clear();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private sendOp(op: number, d: unknown): void {
    const ws = this.current?.conn?.ws;
    if (ws?.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ op, d }));
  }

  private refuse(conn: Conn, code: number, reason: string): void {
    this.closes.push(code);
    conn.ws.close(code, reason);
  }

  private onConnection(ws: WebSocket, req: IncomingMessage): void {
    const conn: Conn = { ws, session: null };
    this.conns.add(conn);
    const url = new URL(req.url ?? "/", "http://fake");
    this.connections.push({ path: url.pathname, query: Object.fromEntries(url.searchParams) });
    ws.on("close", () => {
      this.conns.delete(conn);
      if (conn.session?.conn === conn) conn.session.conn = null;
    });
    ws.on("error", () => undefined);
    ws.on("message", (data, isBinary) => this.onPayload(conn, isBinary ? null : data.toString()));
    if (url.searchParams.get("v") !== "10") return this.refuse(conn, 4012, "Invalid API version");
    if (url.searchParams.get("encoding") !== "json" || url.searchParams.has("compress")) {
      return this.refuse(conn, 4002, "fake gateway speaks uncompressed encoding=json only");
    }
    ws.send(JSON.stringify({ op: Op.Hello, d: { heartbeat_interval: this.opts.heartbeatIntervalMs } }));
  }

  private onPayload(conn: Conn, text: string | null): void {
    let parsed: z.infer<typeof Envelope>;
    try {
      parsed = Envelope.parse(JSON.parse(text ?? ""));
    } catch {
      return this.refuse(conn, 4002, "Decode error");
    }
    switch (parsed.op) {
      case Op.Heartbeat: {
        const d = HeartbeatData.safeParse(parsed.d ?? null);
        if (!d.success) return this.refuse(conn, 4002, "Decode error");
        this.heartbeats.push(d.data);
        if (this.ackHeartbeats) conn.ws.send(JSON.stringify({ op: Op.HeartbeatAck }));
        return;
      }
      case Op.Identify:
        return this.onIdentify(conn, parsed.d);
      case Op.Resume:
        return this.onResume(conn, parsed.d);
      default:
        return this.refuse(conn, conn.session ? 4001 : 4003, conn.session ? "Unknown opcode" : "Not authenticated");
    }
  }

  private tokenOk(token: string): boolean {
    return token.replace(/^Bot\s+/i, "") === this.opts.token;
  }

  private onIdentify(conn: Conn, d: unknown): void {
    if (conn.session) return this.refuse(conn, 4005, "Already authenticated");
    const parsed = Identify.safeParse(d);
    if (!parsed.success) return this.refuse(conn, 4002, "Decode error");
    const id = parsed.data;
    this.identifies.push(id);
    if (!this.tokenOk(id.token)) return this.refuse(conn, 4004, "Authentication failed");
    if (id.compress) return this.refuse(conn, 4002, "fake gateway does not compress payloads");
    if (id.shard && (id.shard[1] !== 1 || id.shard[0] !== 0)) return this.refuse(conn, 4010, "Invalid shard");
    if ((id.intents & ~KNOWN_INTENTS) !== 0) return this.refuse(conn, 4013, "Invalid intent(s)");
    if (!this.opts.allowPrivilegedIntents && (id.intents & PRIVILEGED_INTENTS) !== 0) {
      return this.refuse(conn, 4014, "Disallowed intent(s)");
    }
    if (this.current) this.current.valid = false;
    const session: Session = {
      id: `fake-session-${++this.sessionCounter}`,
      intents: id.intents,
      seq: 0,
      events: [],
      conn,
      valid: true,
    };
    this.sessions.set(session.id, session);
    this.current = session;
    conn.session = session;
    this.dispatch("READY", this.opts.readyData(session.id));
    for (const e of this.opts.afterReady(id.intents)) this.dispatch(e.t, e.d);
  }

  private onResume(conn: Conn, d: unknown): void {
    const parsed = Resume.safeParse(d);
    if (!parsed.success) return this.refuse(conn, 4002, "Decode error");
    if (!this.tokenOk(parsed.data.token)) return this.refuse(conn, 4004, "Authentication failed");
    const session = this.sessions.get(parsed.data.session_id);
    if (!session || !session.valid || session !== this.current) {
      conn.ws.send(JSON.stringify({ op: Op.InvalidSession, d: false }));
      return;
    }
    const seq = parsed.data.seq ?? 0;
    if (seq > session.seq) return this.refuse(conn, 4007, "Invalid seq");
    if (session.conn && session.conn !== conn) session.conn.ws.terminate();
    session.conn = conn;
    conn.session = session;
    const missed = session.events.filter((e) => e.s > seq);
    this.resumes.push({ session_id: session.id, seq: parsed.data.seq, replayed: missed.length });
    for (const e of missed) conn.ws.send(JSON.stringify({ op: Op.Dispatch, t: e.t, s: e.s, d: e.d }));
    this.dispatch("RESUMED", { _trace: ["fake-gateway"] });
  }
}
