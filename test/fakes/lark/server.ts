// A fake Feishu / Lark open platform on 127.0.0.1 (ephemeral port): the REST
// API (rest.ts) and the long connection (longconn.ts) on one HTTP server.
// Tests drive it: users write to the bot (direct or group messages, text,
// rich text, images, voice), the fake drops connections, invalidates tokens,
// fails sends, and records what the bot did.
//
//   const lark = await FakeLark.start();
//   adapter config: lark.config()   // app_id, app_secret, api_base, verification_token, encrypt_key
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { messageEvent, newId, openIdFor, p2pChatIdFor, textWithMentions, type BuiltEvent, type MessageSpec } from "./events.ts";
import { FakeLongConn, type LongConnOptions } from "./longconn.ts";
import { handleRest, type SendFailure, type SentMessage } from "./rest.ts";
import { FakeUploads } from "./uploads.ts";
import { LarkEditBook } from "./edits.ts";

export type { SentMessage, SendFailure };
export { openIdFor, p2pChatIdFor } from "./events.ts";

export interface FakeLarkOptions extends LongConnOptions {
  appId?: string;
  appSecret?: string;
  verificationToken?: string;
  encryptKey?: string;
  /** `expire` the token endpoint answers, seconds; default 7200 */
  tokenTtlSeconds?: number;
}

export interface Resource {
  data: Buffer;
  contentType: string;
  type: "image" | "file";
}

/** a message as the fake keeps it for GET /open-apis/im/v1/messages/{id} */
export interface StoredBody {
  msgType: string;
  /** the content JSON string */
  content: string;
  sender: { id: string; id_type: string; sender_type: string };
  mentions?: { key: string; id: string; id_type: string; name: string }[];
}

export class FakeLark {
  readonly appId: string;
  /** the secret the token endpoint accepts; rotateSecret() changes it */
  appSecret: string;
  readonly verificationToken: string;
  readonly encryptKey: string;
  readonly tenantKey = "736588c9260f175d";
  readonly botOpenId = openIdFor("the-bot");
  readonly botName = "Switchboard Bot";
  tokenTtlSeconds: number;
  readonly longConn: FakeLongConn;
  readonly sent: SentMessage[] = [];
  /** files and pictures uploaded through im/v1/files and im/v1/images */
  readonly uploads = new FakeUploads();
  /** edits and recalls of the bot's messages (edits.ts) */
  readonly editBook = new LarkEditBook();
  readonly requests: { method: string; path: string; authorization?: string }[] = [];
  /** every token the endpoint handed out, in order */
  readonly tokens: string[] = [];
  /** messages recalled by their sender (replies to them fail with 230011) */
  readonly recalled = new Set<string>();
  tokenRequests = 0;
  /** send and reply POSTs, failed ones included */
  sendRequests = 0;

  private readonly server: Server;
  private port = 0;
  private readonly validTokens = new Set<string>();
  private invalidTokenAnswers = 0;
  private readonly failures: SendFailure[] = [];
  private readonly messages = new Map<string, string>();
  private readonly bodies = new Map<string, StoredBody>();
  private readonly resources = new Map<string, Resource>();
  private readonly userChats = new Map<string, string>();

  private constructor(opts: FakeLarkOptions) {
    this.appId = opts.appId ?? "cli_a1b2c3d4e5f60718";
    this.appSecret = opts.appSecret ?? "fakeLarkSecret0123456789abcdef";
    this.verificationToken = opts.verificationToken ?? "fake-verification-token-42";
    this.encryptKey = opts.encryptKey ?? "fake-encrypt-key-0123456789";
    this.tokenTtlSeconds = opts.tokenTtlSeconds ?? 7200;
    this.longConn = new FakeLongConn(() => this.baseUrl, opts);
    this.server = createServer((req, res) => {
      handleRest(this, req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ code: 500, msg: `fake Lark crashed: ${String(err)}` }));
      });
    });
    this.server.on("upgrade", (req, socket, head) => this.longConn.handleUpgrade(req, socket, head));
  }

  static async start(opts: FakeLarkOptions = {}): Promise<FakeLark> {
    const fake = new FakeLark(opts);
    await new Promise<void>((resolve) => fake.server.listen(0, "127.0.0.1", resolve));
    fake.port = (fake.server.address() as AddressInfo).port;
    return fake;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** the block for channels.feishu (long connection unless mode is added) */
  config(): Record<string, unknown> {
    return { app_id: this.appId, app_secret: this.appSecret, api_base: this.baseUrl, verification_token: this.verificationToken, encrypt_key: this.encryptKey };
  }

  async close(): Promise<void> {
    await this.longConn.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // --- tokens ---

  issueToken(): string {
    const t = newId("t-");
    this.tokens.push(t);
    this.validTokens.add(t);
    return t;
  }
  tokenValid(t: string): boolean {
    return this.validTokens.has(t);
  }
  /** every token handed out so far stops working (99991663) */
  /** the app secret is reset in the developer console: the gateway's secret and every token stop working */
  rotateSecret(): void {
    this.appSecret = `rotated-${Math.random().toString(36).slice(2)}`;
    this.validTokens.clear();
  }

  expireTokens(): void {
    this.validTokens.clear();
  }
  /** the next `n` authenticated calls answer 99991663 whatever the token */
  invalidTokenOnce(n = 1): void {
    this.invalidTokenAnswers += n;
  }
  consumeInvalidToken(): boolean {
    if (this.invalidTokenAnswers <= 0) return false;
    this.invalidTokenAnswers--;
    return true;
  }

  // --- sends ---

  /** the next send or reply fails this way (queued, in order) */
  failNextSend(f: SendFailure): void {
    this.failures.push(f);
  }
  nextSendFailure(msgType: string): SendFailure | undefined {
    const i = this.failures.findIndex((f) => !f.onlyPost || msgType === "post");
    return i >= 0 ? this.failures.splice(i, 1)[0] : undefined;
  }
  /** the texts the bot sent to a chat, in order */
  textsIn(chatId: string): string[] {
    return this.sent.filter((m) => m.chatId === chatId).map((m) => m.text);
  }

  // --- chats, messages, resources ---

  rememberMessage(messageId: string, chatId: string, body?: StoredBody): void {
    this.messages.set(messageId, chatId);
    if (body) this.bodies.set(messageId, body);
  }
  /** what GET /open-apis/im/v1/messages/{id} answers with (sent and received messages) */
  messageBody(messageId: string): StoredBody | undefined {
    return this.bodies.get(messageId);
  }
  chatOfMessage(messageId: string): string | undefined {
    return this.messages.get(messageId);
  }
  chatForUser(openId: string): string | undefined {
    return this.userChats.get(openId);
  }
  resource(messageId: string, key: string): Resource | undefined {
    return this.resources.get(`${messageId}|${key}`);
  }
  addResource(messageId: string, key: string, r: Resource): void {
    this.resources.set(`${messageId}|${key}`, r);
  }

  /** builds a receive event (and remembers the message, so the bot can reply to it) */
  event(spec: MessageSpec): BuiltEvent {
    const built = messageEvent(spec, { appId: this.appId, verificationToken: this.verificationToken, tenantKey: this.tenantKey });
    const content = typeof spec.content === "string" ? spec.content : JSON.stringify(spec.content);
    this.rememberMessage(built.messageId, spec.chatId, { msgType: spec.messageType, content, sender: { id: spec.senderOpenId, id_type: "open_id", sender_type: spec.senderType ?? "user" },
      mentions: (spec.mentions ?? []).map((m, i) => ({ key: `@_user_${i + 1}`, id: m.openId, id_type: "open_id", name: m.name })),
    });
    if (spec.chatType === "p2p") this.userChats.set(spec.senderOpenId, spec.chatId);
    return built;
  }

  /** a direct text message from user `user` ("alice"), over the long connection */
  userSays(user: string, text: string, extra: Partial<MessageSpec> = {}): BuiltEvent {
    return this.deliver(this.event({ senderOpenId: openIdFor(user), chatId: p2pChatIdFor(user), chatType: "p2p", messageType: "text", content: { text }, ...extra }));
  }

  /** a group text message; with `mentionBot` it starts with @the bot */
  groupSays(user: string, chatId: string, text: string, opts: { mentionBot?: boolean; others?: { user: string; name: string }[] } = {}): BuiltEvent {
    const mentions = [
      ...(opts.mentionBot ? [{ openId: this.botOpenId, name: this.botName }] : []),
      ...(opts.others ?? []).map((o) => ({ openId: openIdFor(o.user), name: o.name })),
    ];
    return this.deliver(
      this.event({ senderOpenId: openIdFor(user), chatId, chatType: "group", messageType: "text", content: textWithMentions(text, mentions), mentions }),
    );
  }

  /** pushes a built event over the long connection (queued until a client is connected) */
  deliver(built: BuiltEvent, fragments = 1): BuiltEvent {
    this.longConn.push(built.eventId, built.envelope, fragments);
    return built;
  }

  /** raw bytes to the newest connection (a frame the SDK cannot decode) */
  sendRawFrame(data: Buffer): void {
    this.longConn.sendRaw(data);
  }

  /** the platform drops the bot's connection(s) */
  dropConnection(): Promise<void> {
    return this.longConn.dropConnection();
  }

  async waitFor(cond: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!cond()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}
