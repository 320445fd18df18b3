// A fake QQ Bot API v2 on 127.0.0.1 (ephemeral port): the token endpoint,
// the OpenAPI (rest.ts) and the event gateway (gateway.ts) on one HTTP
// server. Tests drive it: users write to the bot (direct or group
// @-messages, with attachments), the fake drops or invalidates the gateway
// session, expires tokens, fails sends, and records what the bot did.
//
//   const fake = await FakeQq.start({ heartbeatIntervalMs: 500 });
//   adapter config: { app_id: fake.appId, app_secret: fake.appSecret, api_base: fake.apiBase, token_url: fake.tokenUrl }
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { FakeQqGateway, GROUP_AND_C2C_EVENT } from "./gateway.ts";
import { handleRest, type SendFailure, type SentMessage, type Upload } from "./rest.ts";

export type { SentMessage, SendFailure, Upload };
export type { IdentifyRecord, ResumeRecord } from "./gateway.ts";
export { GROUP_AND_C2C_EVENT, Op } from "./gateway.ts";

export interface FakeQqOptions {
  appId?: string;
  appSecret?: string;
  /** HELLO's heartbeat_interval; default 45 000 */
  heartbeatIntervalMs?: number;
  /** expires_in the token endpoint answers; default 7200 */
  tokenTtlSeconds?: number;
  /** passive replies allowed per inbound message (QQ: 5); default unlimited */
  replyLimit?: number;
  /** refuse texts holding a URL, like a bot without registered URLs (code 40054010) */
  refuseUrls?: boolean;
  /** how long a session whose connection went away stays resumable; default 5 minutes (0: never) */
  resumeWindowMs?: number;
  /** the fake's clock for the resume window; default Date.now */
  now?: () => number;
}

export interface AttachmentSpec {
  data: Buffer;
  /** QQ's content_type: "voice", "image/jpeg", "file", ... */
  contentType: string;
  filename: string;
  /** also offer a WAV version of a voice message (voice_wav_url) */
  wav?: Buffer;
  /** size to report instead of the real one */
  size?: number;
}

interface Inbound {
  kind: "user" | "group";
  chatId: string;
  seqs: Set<number>;
}

export class FakeQq {
  readonly appId: string;
  /** the secret the token endpoint accepts; rotateSecret() changes it */
  appSecret: string;
  readonly tokenTtlSeconds: number;
  readonly replyLimit: number;
  refuseUrls: boolean;
  readonly gateway: FakeQqGateway;
  readonly sent: SentMessage[] = [];
  readonly uploads: Upload[] = [];
  readonly requests: { method: string; path: string; authorization?: string; appid: string }[] = [];
  /** every token the endpoint handed out, in order */
  readonly tokens: string[] = [];
  tokenRequests = 0;
  /** message POSTs, failed ones included */
  messageRequests = 0;

  private readonly server: Server;
  private port = 0;
  private readonly validTokens = new Set<string>();
  private readonly failures: SendFailure[] = [];
  private readonly inbounds = new Map<string, Inbound>();
  private readonly media = new Map<string, { data: Buffer; contentType: string }>();

  private constructor(opts: FakeQqOptions) {
    this.appId = opts.appId ?? "102000001";
    this.appSecret = opts.appSecret ?? "fakeQQsecret-0123456789abcdef";
    this.tokenTtlSeconds = opts.tokenTtlSeconds ?? 7200;
    this.replyLimit = opts.replyLimit ?? Number.POSITIVE_INFINITY;
    this.refuseUrls = opts.refuseUrls ?? false;
    this.gateway = new FakeQqGateway({
      heartbeatIntervalMs: opts.heartbeatIntervalMs ?? 45_000,
      tokenValid: (t) => this.tokenValid(t),
      bot: { id: "1234567890123456789", username: "switchbot-qq" },
      ...(opts.resumeWindowMs !== undefined ? { resumeWindowMs: opts.resumeWindowMs } : {}),
      ...(opts.now ? { now: opts.now } : {}),
    });
    this.server = createServer((req, res) => {
      handleRest(this, req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ code: 500, message: `fake QQ crashed: ${String(err)}` }));
      });
    });
    this.server.on("upgrade", (req, socket, head) => this.gateway.handleUpgrade(req, socket, head));
  }

  static async start(opts: FakeQqOptions = {}): Promise<FakeQq> {
    const fake = new FakeQq(opts);
    await new Promise<void>((resolve) => fake.server.listen(0, "127.0.0.1", resolve));
    fake.port = (fake.server.address() as AddressInfo).port;
    return fake;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  /** the adapter's api_base */
  get apiBase(): string {
    return this.baseUrl;
  }
  /** the adapter's token_url */
  get tokenUrl(): string {
    return `${this.baseUrl}/app/getAppAccessToken`;
  }
  get gatewayUrl(): string {
    return `ws://127.0.0.1:${this.port}/websocket`;
  }
  /** the config block for channels.qq */
  config(): Record<string, unknown> {
    return { app_id: this.appId, app_secret: this.appSecret, api_base: this.apiBase, token_url: this.tokenUrl };
  }
  get identifies() {
    return this.gateway.identifies;
  }
  get resumes() {
    return this.gateway.resumes;
  }
  get heartbeats() {
    return this.gateway.heartbeats;
  }

  async close(): Promise<void> {
    await this.gateway.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- state the routes read --------------------------------------------------------

  issueToken(): string {
    const token = `fakeQQtoken.${this.tokens.length + 1}.${randomBytes(12).toString("hex")}`;
    this.tokens.push(token);
    this.validTokens.add(token);
    return token;
  }
  tokenValid(token: string): boolean {
    return this.validTokens.has(token);
  }
  takeSendFailure(): SendFailure | undefined {
    return this.failures.shift();
  }
  inbound(msgId: string): Inbound | undefined {
    return this.inbounds.get(msgId);
  }
  mediaAt(path: string): { data: Buffer; contentType: string } | undefined {
    return this.media.get(path);
  }

  // ---- test hooks -------------------------------------------------------------------

  /** every token handed out so far stops working (REST answers 401 / 11244) */
  /** the app secret is reset in the developer console: the gateway's secret and every token stop working */
  rotateSecret(): void {
    this.appSecret = `rotated-${Math.random().toString(36).slice(2)}`;
    this.validTokens.clear();
  }

  expireToken(): void {
    this.validTokens.clear();
  }

  /** the next message POST fails like this (call again to queue more) */
  failNextSend(f: SendFailure): void {
    this.failures.push(f);
  }

  /** a direct (C2C) message from `openid`; returns its message id */
  c2cMessage(m: { openid: string; text: string; attachments?: AttachmentSpec[]; id?: string }): string {
    const id = m.id ?? `ROBOT1.0_c2c_${randomBytes(8).toString("hex")}`;
    this.inbounds.set(id, { kind: "user", chatId: m.openid, seqs: new Set() });
    this.deliver("C2C_MESSAGE_CREATE", {
      id,
      content: m.text,
      timestamp: new Date().toISOString(),
      author: { id: m.openid, user_openid: m.openid, union_openid: m.openid },
      ...(m.attachments?.length ? { attachments: m.attachments.map((a) => this.attachment(a)) } : {}),
      message_scene: { source: "default" },
    });
    return id;
  }

  /** a group message that @-mentions the bot (QQ strips the mention, leaving a leading space); returns its id */
  groupAtMessage(m: { groupOpenid: string; memberOpenid: string; text: string; attachments?: AttachmentSpec[]; id?: string }): string {
    const id = m.id ?? `ROBOT1.0_grp_${randomBytes(8).toString("hex")}`;
    this.inbounds.set(id, { kind: "group", chatId: m.groupOpenid, seqs: new Set() });
    this.deliver("GROUP_AT_MESSAGE_CREATE", {
      id,
      content: ` ${m.text}`,
      timestamp: new Date().toISOString(),
      group_id: m.groupOpenid,
      group_openid: m.groupOpenid,
      author: { id: m.memberOpenid, member_openid: m.memberOpenid, union_openid: m.memberOpenid },
      ...(m.attachments?.length ? { attachments: m.attachments.map((a) => this.attachment(a)) } : {}),
    });
    return id;
  }

  /** any other dispatch (FRIEND_ADD, a malformed message, ...) */
  dispatch(t: string, d: unknown): number {
    return this.gateway.dispatch(t, d);
  }

  dropConnection(): void {
    this.gateway.dropConnection();
  }
  sendInvalidSession(): void {
    this.gateway.sendInvalidSession();
  }
  sendReconnect(): void {
    this.gateway.sendReconnect();
  }
  closeConnection(code: number, reason?: string): void {
    this.gateway.closeConnection(code, reason);
  }

  /** resolves once `n` messages were sent in total */
  async waitForSent(n: number, timeoutMs = 5_000): Promise<SentMessage[]> {
    await this.waitFor(() => this.sent.length >= n, `${n} sent message(s), got ${this.sent.length}`, timeoutMs);
    return this.sent;
  }

  async waitFor(cond: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`fake QQ: timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  // ---- internals --------------------------------------------------------------------

  private deliver(t: string, d: unknown): void {
    if (!this.gateway.sessionId) throw new Error("fake QQ: no gateway session yet (start the adapter first)");
    // like QQ, nothing arrives for a session that did not subscribe to group and C2C events
    if (!this.gateway.subscribed(GROUP_AND_C2C_EVENT)) return;
    this.gateway.dispatch(t, d);
  }

  private attachment(a: AttachmentSpec): Record<string, unknown> {
    const id = randomBytes(6).toString("hex");
    const path = `/media/${id}/${encodeURIComponent(a.filename)}`;
    const mime = a.contentType === "voice" ? "audio/silk" : a.contentType === "file" ? "application/octet-stream" : a.contentType;
    this.media.set(path, { data: a.data, contentType: mime });
    const out: Record<string, unknown> = {
      content_type: a.contentType,
      filename: a.filename,
      size: a.size ?? a.data.length,
      url: `${this.baseUrl}${path}?rkey=fake`,
    };
    if (a.wav) {
      const wavPath = `/media/${id}/voice.wav`;
      this.media.set(wavPath, { data: a.wav, contentType: "audio/wav" });
      out.voice_wav_url = `${this.baseUrl}${wavPath}`;
    }
    return out;
  }
}
