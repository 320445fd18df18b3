// A fake Telegram Bot API on 127.0.0.1 speaking the real wire protocol:
// POST/GET /bot<token>/<method> with JSON, form or multipart bodies and query
// parameters, answers shaped {ok, result} / {ok:false, error_code,
// description, parameters}, real long polling for getUpdates (held until an
// update arrives or `timeout` passes; offset confirms earlier updates; a
// second poller or a webhook gives 409), files under /file/bot<token>/<path>.
// Tests script it: pushUpdate / userMessage, failNext, and read sent,
// actions and calls.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";
import { TelegramEditBook } from "./telegram-api/edits.ts";
import { CommandMenus, type BotCommand } from "./telegram-api/commands.ts";
import { buildUserMessage, type StoredFile, type UserMessageOptions } from "./telegram-api/updates.ts";
import { ApiError, bad, ChatActionParams, chatIdField, check, decodeFields, GetUpdatesParams, parseTelegramHtml, readParams, reply, SendMessageParams, SetWebhookParams } from "./telegram-api/wire.ts";

export type { UserMessageOptions } from "./telegram-api/updates.ts";
export { parseTelegramHtml } from "./telegram-api/wire.ts";

export interface FakeBotOptions {
  token: string;
  id?: number;
  username?: string;
  firstName?: string;
}

export interface ApiCall {
  token: string;
  method: string;
  params: Record<string, unknown>;
}

export interface SentMessage {
  token: string;
  method: string;
  chat_id: number | string;
  message_id: number;
  text?: string;
  caption?: string;
  parse_mode?: string;
  reply_parameters?: { message_id: number; allow_sending_without_reply?: boolean };
  message_thread_id?: number;
  /** the uploaded file (multipart) or the URL / file_id string that was passed */
  file?: { filename?: string; data: Buffer; contentType?: string } | string;
  /** deleteMessage removed it (text and parse_mode follow editMessageText) */
  deleted?: boolean;
}

export interface ChatAction {
  token: string;
  chat_id: number | string;
  action: string;
  message_thread_id?: number;
}

export type Failure = { error_code: number; description: string; parameters?: { retry_after?: number; migrate_to_chat_id?: number } } | "disconnect";

type Update = Record<string, unknown> & { update_id: number };
interface Held { res: ServerResponse; limit: number; timer: NodeJS.Timeout }
interface BotState {
  info: Required<FakeBotOptions>;
  queue: Update[];
  nextUpdateId: number;
  nextMessageId: number;
  webhook?: { url: string; secret_token?: string; allowed_updates?: string[] };
  allowed?: string[];
  held?: Held;
  commands: CommandMenus;
}

const MEDIA_METHODS: Record<string, [string, string]> = {
  sendphoto: ["sendPhoto", "photo"],
  senddocument: ["sendDocument", "document"],
  sendaudio: ["sendAudio", "audio"],
  sendvoice: ["sendVoice", "voice"],
};
const ACTIONS = new Set(["typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice", "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note"]);
const DEFAULT_SKIPPED = new Set(["chat_member", "message_reaction", "message_reaction_count"]);

/**
 * Forgets the updates a getUpdates offset confirms (update_id < offset). Updates are queued in update_id
 * order, so they are the leading ones: a cut at the front, not a pass over the whole queue at every poll.
 */
function confirmUpTo(queue: Update[], offset: number): void {
  let confirmed = 0;
  while (confirmed < queue.length && queue[confirmed]!.update_id < offset) confirmed++;
  if (confirmed) queue.splice(0, confirmed);
}

const WEBHOOK_CONFLICT = "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first";

export class FakeTelegramApi {
  readonly calls: ApiCall[] = [];
  readonly sent: SentMessage[] = [];
  readonly actions: ChatAction[] = [];
  /** editMessageText / deleteMessage, with flood control (edits.ts) */
  readonly editBook = new TelegramEditBook();
  private readonly bots = new Map<string, BotState>();
  private readonly files = new Map<string, StoredFile>();
  private readonly failures: { token: string; method: string; failure: Failure }[] = [];
  private readonly listeners = new Set<() => void>();
  private server!: Server;
  private nextFile = 1;
  /** largest multipart upload sendDocument/sendAudio/... take; bigger ones get 413 as from the cloud Bot API (50 MB) */
  uploadLimit = 50 * 1024 * 1024;
  url = "";

  static async start(opts: { bots?: FakeBotOptions[]; port?: number } = {}): Promise<FakeTelegramApi> {
    const api = new FakeTelegramApi();
    const bots = opts.bots?.length ? opts.bots : [{ token: "123456:TEST-token_abc" }];
    bots.forEach((b, i) => {
      const id = b.id ?? Number(b.token.split(":")[0]);
      const info = { token: b.token, id, username: b.username ?? `fake${i || ""}_bot`, firstName: b.firstName ?? "Fake Bot" };
      api.bots.set(b.token, { info, queue: [], nextUpdateId: 700_000 + i * 100_000, nextMessageId: 1, commands: new CommandMenus() });
    });
    api.server = createServer((req, res) => void api.route(req, res));
    await new Promise<void>((resolve, reject) => {
      api.server.once("error", reject);
      api.server.listen(opts.port ?? 0, "127.0.0.1", () => resolve());
    });
    api.url = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
    return api;
  }

  /** the first bot's token */
  get token(): string {
    return this.bots.keys().next().value!;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  botInfo(token = this.token): Required<FakeBotOptions> {
    return this.bot(token).info;
  }

  /** the bot's command menu as setMyCommands left it (default scope, no language), or undefined when never set */
  commandMenu(token = this.token, scope = "default", language = ""): BotCommand[] | undefined {
    return this.bot(token).commands.get(scope, language);
  }

  webhook(token = this.token): BotState["webhook"] {
    return this.bot(token).webhook;
  }

  /** cuts the connection of every held long poll, like a network drop */
  dropHeldPolls(): void {
    for (const bot of this.bots.values()) {
      if (!bot.held) continue;
      clearTimeout(bot.held.timer);
      bot.held.res.socket?.destroy();
      bot.held = undefined;
    }
  }

  /** getUpdates requests currently held open */
  heldPolls(token = this.token): number {
    return this.bot(token).held ? 1 : 0;
  }

  /** updates not yet confirmed by an offset */
  pending(token = this.token): Update[] {
    return [...this.bot(token).queue];
  }

  /** how many updates are queued, without copying them (a bench asks this of a 200,000-update queue) */
  pendingCount(token = this.token): number {
    return this.bot(token).queue.length;
  }

  /** forgets failures queued with failNext that no call has used yet */
  clearFailures(): void {
    this.failures.length = 0;
  }

  /** the next `times` calls of `method` fail this way (HTTP status = error_code), or drop the connection */
  failNext(method: string, failure: Failure, opts: { times?: number; token?: string } = {}): void {
    for (let i = 0; i < (opts.times ?? 1); i++) this.failures.push({ token: opts.token ?? this.token, method: method.toLowerCase(), failure });
  }

  /** queues an update (update_id assigned) and wakes a held long poll */
  pushUpdate(update: Record<string, unknown>, token = this.token): Update {
    const bot = this.bot(token);
    const full = { ...update, update_id: bot.nextUpdateId++ } as Update;
    bot.queue.push(full);
    this.flush(bot);
    return full;
  }

  /** registers bytes served under /file/bot<token>/<path> */
  /** `localPath`: answer getFile with this absolute path, as a Bot API server started with --local does */
  addFile(data: Buffer, opts: { dir?: string; ext?: string; reportedSize?: number; localPath?: string } = {}): StoredFile {
    const n = this.nextFile++;
    const file = {
      file_id: `AgAC-file-${n}`,
      file_unique_id: `uniq${n}`,
      file_path: opts.localPath ?? `${opts.dir ?? "documents"}/file_${n}.${opts.ext ?? "bin"}`,
      file_size: opts.reportedSize ?? data.length,
      data,
    };
    this.files.set(file.file_id, file);
    return file;
  }

  /** builds a user's message update the way Telegram shapes it, queues it and returns it */
  userMessage(o: UserMessageOptions): Update {
    const token = o.token ?? this.token;
    const bot = this.bot(token);
    const ctx = {
      ...bot.info,
      nextMessageId: () => bot.nextMessageId++,
      lastMessageId: bot.nextMessageId - 1,
      addFile: (data: Buffer, opts?: { dir?: string; ext?: string; reportedSize?: number }) => this.addFile(data, opts),
    };
    return this.pushUpdate(buildUserMessage(o, ctx), token);
  }

  /** resolves once at least n messages were sent (any bot) */
  waitForSent(n: number, timeoutMs = 3000): Promise<SentMessage[]> {
    return this.waitFor(() => (this.sent.length >= n ? [...this.sent] : undefined), timeoutMs, () => `${n} sent messages (have ${this.sent.length})`);
  }

  /** resolves with the first recorded call matching, waiting for it when needed */
  waitForCall(method: string, pred: (c: ApiCall) => boolean = () => true, timeoutMs = 3000): Promise<ApiCall> {
    const m = method.toLowerCase();
    return this.waitFor(() => this.calls.find((c) => c.method.toLowerCase() === m && pred(c)), timeoutMs, () => `a ${method} call`);
  }

  waitFor<T>(probe: () => T | undefined, timeoutMs: number, what: () => string): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const v = probe();
        if (v === undefined) return;
        cleanup();
        resolve(v);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`fake Telegram: timed out waiting for ${what()}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
      check();
    });
  }

  /** ends held long polls (empty result) and closes the server */
  async close(): Promise<void> {
    for (const bot of this.bots.values()) this.answerHeld(bot, []);
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private bot(token: string): BotState {
    const b = this.bots.get(token);
    if (!b) throw new Error(`fake Telegram: no bot with that token`);
    return b;
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://fake");
    const file = /^\/file\/bot([^/]+)\/(.+)$/.exec(url.pathname);
    if (file) return this.serveFile(res, file[1]!, decodeURIComponent(file[2]!));
    const m = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    if (!m) return reply(res, new ApiError(404, "Not Found"));
    const bot = this.bots.get(decodeURIComponent(m[1]!));
    if (!bot) return reply(res, new ApiError(401, "Unauthorized"));
    let params: Record<string, unknown>;
    try {
      params = { ...decodeFields(Object.fromEntries(url.searchParams)), ...(await readParams(req)) };
    } catch (err) {
      return reply(res, err instanceof ApiError ? err : bad("can't parse request body"));
    }
    const method = m[2]!;
    this.calls.push({ token: bot.info.token, method, params });
    this.notify();
    const i = this.failures.findIndex((f) => f.token === bot.info.token && f.method === method.toLowerCase());
    if (i >= 0) {
      const { failure } = this.failures.splice(i, 1)[0]!;
      if (failure === "disconnect") return void req.socket.destroy();
      return reply(res, new ApiError(failure.error_code, failure.description, failure.parameters));
    }
    try {
      const result = this.handle(bot, method.toLowerCase(), params, res);
      if (result !== HELD) reply(res, undefined, result);
    } catch (err) {
      reply(res, err instanceof ApiError ? err : new ApiError(500, `Internal Server Error: ${String(err)}`));
    }
  }

  private handle(bot: BotState, method: string, p: Record<string, unknown>, res: ServerResponse): unknown {
    const info = bot.info;
    switch (method) {
      case "getme":
        return { id: info.id, is_bot: true, first_name: info.firstName, username: info.username, can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false, can_connect_to_business: false, has_main_web_app: false };
      case "getupdates":
        return this.getUpdates(bot, check(GetUpdatesParams, p), res);
      case "setwebhook": {
        const w = check(SetWebhookParams, p);
        if (w.url === "") return this.deleteWebhook(bot, w.drop_pending_updates);
        if (!w.url.startsWith("https://")) throw bad("bad webhook: An HTTPS URL must be provided for webhook");
        bot.webhook = { url: w.url, ...(w.secret_token ? { secret_token: w.secret_token } : {}), ...(w.allowed_updates ? { allowed_updates: w.allowed_updates } : {}) };
        if (w.drop_pending_updates === true || w.drop_pending_updates === "true") bot.queue = [];
        this.answerHeld(bot, new ApiError(409, WEBHOOK_CONFLICT));
        return true;
      }
      case "deletewebhook":
        return this.deleteWebhook(bot, p.drop_pending_updates as boolean | undefined);
      case "setmycommands":
      case "getmycommands":
      case "deletemycommands":
        return bot.commands.handle(method, p);
      case "getwebhookinfo":
        return { url: bot.webhook?.url ?? "", has_custom_certificate: false, pending_update_count: bot.queue.length, ...(bot.webhook?.allowed_updates ? { allowed_updates: bot.webhook.allowed_updates } : {}) };
      case "getfile": {
        const f = typeof p.file_id === "string" ? this.files.get(p.file_id) : undefined;
        if (!f) throw bad("wrong file_id or the file is temporarily unavailable");
        if (f.file_size > 20 * 1024 * 1024) throw bad("file is too big");
        return { file_id: f.file_id, file_unique_id: f.file_unique_id, file_size: f.file_size, file_path: f.file_path };
      }
      case "sendmessage": {
        const s = check(SendMessageParams, p);
        const visible = this.visibleText(s.text, s.parse_mode);
        if (visible.length > 4096) throw bad("message is too long");
        return this.record(bot, "sendMessage", s, { text: s.text }, { text: visible });
      }
      case "editmessagetext":
        return this.notified(this.editBook.edit(info.token, p, this.sent, (t, mode) => this.visibleText(t, mode)));
      case "deletemessage":
        return this.notified(this.editBook.delete(info.token, p, this.sent));
      case "sendchataction": {
        const a = check(ChatActionParams, p);
        if (!ACTIONS.has(a.action)) throw bad("wrong parameter action in request");
        this.actions.push({ token: info.token, chat_id: a.chat_id, action: a.action, ...(a.message_thread_id !== undefined ? { message_thread_id: a.message_thread_id } : {}) });
        this.notify();
        return true;
      }
      default: {
        const media = MEDIA_METHODS[method];
        if (!media) throw new ApiError(404, "Not Found");
        return this.sendMedia(bot, media[0], media[1], p);
      }
    }
  }

  private notified<T>(result: T): T {
    this.notify();
    return result;
  }

  private getUpdates(bot: BotState, q: z.infer<typeof GetUpdatesParams>, res: ServerResponse): unknown {
    if (bot.webhook) throw new ApiError(409, WEBHOOK_CONFLICT);
    // built only when a poll is held: an error captures a stack, and this runs on every poll of a bench's lone messages
    if (bot.held) this.answerHeld(bot, new ApiError(409, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"));
    if (q.allowed_updates) bot.allowed = q.allowed_updates;
    if (q.offset !== undefined && q.offset < 0) bot.queue = bot.queue.slice(q.offset);
    else if (q.offset !== undefined) confirmUpTo(bot.queue, q.offset);
    const limit = q.limit ?? 100;
    const ready = this.deliverable(bot, limit);
    if (ready.length || !q.timeout) return ready;
    const timer = setTimeout(() => this.answerHeld(bot, []), q.timeout * 1000);
    bot.held = { res, limit, timer };
    res.on("close", () => {
      if (bot.held?.res === res) {
        clearTimeout(timer);
        bot.held = undefined;
        this.notify();
      }
    });
    this.notify();
    return HELD;
  }

  /**
   * The first `limit` updates of the types asked for. Updates of other types met on the way are dropped
   * (Telegram would not have made them); the rest of the queue is not looked at, so a poll costs the same
   * with 200,000 updates queued (a bench's burst) as with 100.
   */
  private deliverable(bot: BotState, limit: number): Update[] {
    const allowed = bot.allowed?.length ? new Set(bot.allowed) : undefined;
    const wanted = (u: Update) => Object.keys(u).some((k) => k !== "update_id" && (allowed ? allowed.has(k) : !DEFAULT_SKIPPED.has(k)));
    const ready: Update[] = [];
    let looked = 0;
    while (looked < bot.queue.length && ready.length < limit) {
      const u = bot.queue[looked++]!;
      if (wanted(u)) ready.push(u);
    }
    if (ready.length < looked) bot.queue.splice(0, looked, ...ready);
    return ready;
  }

  private flush(bot: BotState): void {
    if (!bot.held) return;
    const ready = this.deliverable(bot, bot.held.limit);
    if (ready.length) this.answerHeld(bot, ready);
  }

  private answerHeld(bot: BotState, result: Update[] | ApiError): void {
    const held = bot.held;
    if (!held) return;
    bot.held = undefined;
    clearTimeout(held.timer);
    if (result instanceof ApiError) reply(held.res, result);
    else reply(held.res, undefined, result);
    this.notify();
  }

  private deleteWebhook(bot: BotState, drop: unknown): true {
    bot.webhook = undefined;
    if (drop === true || drop === "true") bot.queue = [];
    return true;
  }

  private visibleText(text: string, parseMode: string | undefined): string {
    if (!parseMode) return text;
    if (parseMode.toLowerCase() === "html") return parseTelegramHtml(text);
    if (parseMode === "MarkdownV2" || parseMode === "Markdown") return text;
    throw bad("unsupported parse_mode");
  }

  private sendMedia(bot: BotState, method: string, field: string, p: Record<string, unknown>): unknown {
    const { chat_id } = check(z.object({ chat_id: chatIdField }), p);
    let input = p[field];
    if (typeof input === "string" && input.startsWith("attach://")) input = p[input.slice("attach://".length)];
    if (input === undefined || (typeof input !== "string" && !(typeof input === "object" && input && "data" in input))) throw bad(`there is no ${field} in the request`);
    const caption = typeof p.caption === "string" ? p.caption : undefined;
    const parse_mode = typeof p.parse_mode === "string" ? p.parse_mode : undefined;
    const visible = caption !== undefined ? this.visibleText(caption, parse_mode) : undefined;
    if (visible && visible.length > 1024) throw bad("message caption is too long");
    const extra = check(SendMessageParams.pick({ message_thread_id: true, reply_parameters: true }), p);
    const file = input as SentMessage["file"];
    const bytes = typeof file === "string" ? 0 : file!.data.length;
    if (bytes > this.uploadLimit) throw new ApiError(413, "Request Entity Too Large");
    const named = typeof file === "string" ? {} : { ...(file!.filename ? { file_name: file!.filename } : {}), ...(file!.contentType ? { mime_type: file!.contentType } : {}) };
    const media = field === "photo" ? { photo: [{ file_id: `sent-${Date.now()}`, file_unique_id: "u", width: 800, height: 600, file_size: bytes }] } : { [field]: { file_id: `sent-${Date.now()}`, file_unique_id: "u", file_size: bytes, ...named } };
    return this.record(bot, method, { chat_id, ...extra, ...(parse_mode ? { parse_mode } : {}) }, { ...(caption !== undefined ? { caption } : {}), file }, { ...media, ...(visible !== undefined ? { caption: visible } : {}) });
  }

  private record(
    bot: BotState,
    method: string,
    s: { chat_id: number | string; parse_mode?: string | undefined; message_thread_id?: number | undefined; reply_parameters?: SentMessage["reply_parameters"] | undefined },
    content: Partial<SentMessage>,
    shown: Record<string, unknown>,
  ): unknown {
    const message_id = bot.nextMessageId++;
    this.sent.push({
      token: bot.info.token,
      method,
      chat_id: s.chat_id,
      message_id,
      ...content,
      ...(s.parse_mode ? { parse_mode: s.parse_mode } : {}),
      ...(s.reply_parameters ? { reply_parameters: s.reply_parameters } : {}),
      ...(s.message_thread_id !== undefined ? { message_thread_id: s.message_thread_id } : {}),
    });
    this.notify();
    const chat = typeof s.chat_id === "number" && s.chat_id > 0 ? { id: s.chat_id, type: "private", first_name: "Ada" } : { id: s.chat_id, type: "supergroup", title: "Test group" };
    const from = { id: bot.info.id, is_bot: true, first_name: bot.info.firstName, username: bot.info.username };
    return { message_id, from, chat, date: Math.floor(Date.now() / 1000), ...(s.message_thread_id !== undefined ? { message_thread_id: s.message_thread_id, is_topic_message: true } : {}), ...shown };
  }

  private serveFile(res: ServerResponse, token: string, path: string): void {
    if (!this.bots.has(token)) return reply(res, new ApiError(401, "Unauthorized"));
    const f = [...this.files.values()].find((x) => x.file_path === path);
    if (!f) return reply(res, new ApiError(404, "Not Found"));
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": f.data.length });
    res.end(f.data);
  }
}

const HELD = Symbol("held");

