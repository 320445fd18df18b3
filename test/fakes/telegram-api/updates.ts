// Builds user message updates the way Telegram shapes them (from, chat,
// entities, reply_to_message, forum topics, voice/photo/document/audio with
// files the fake serves), for the fake Bot API's userMessage().

export interface UserMessageOptions {
  chatId?: number;
  fromId?: number;
  text?: string;
  caption?: string;
  username?: string;
  firstName?: string;
  chatType?: "private" | "group" | "supergroup" | "channel";
  /** forum topic: sets message_thread_id and is_topic_message */
  threadId?: number;
  /** replies to a message of the bot (true) or of another user (a user id) */
  replyTo?: true | number;
  /** override the entities computed from the text (mentions, leading command) */
  entities?: { type: string; offset: number; length: number; user?: unknown }[];
  voice?: { data: Buffer; duration?: number; mimeType?: string };
  photo?: { data: Buffer; width?: number; height?: number };
  document?: { data: Buffer; mimeType: string; fileName?: string; reportedSize?: number };
  audio?: { data: Buffer; mimeType?: string; fileName?: string };
  /** deliver as edited_message / channel_post instead of message */
  kind?: "message" | "edited_message" | "channel_post";
  token?: string;
}


export interface StoredFile {
  file_id: string;
  file_unique_id: string;
  file_path: string;
  file_size: number;
  data: Buffer;
}

/** What building a message needs from the fake: the bot, message ids, file storage. */
export interface MessageBuilderContext {
  id: number;
  username: string;
  firstName: string;
  nextMessageId(): number;
  lastMessageId: number;
  addFile(data: Buffer, opts?: { dir?: string; ext?: string; reportedSize?: number }): StoredFile;
}

/** bot_command at the start and @mentions, as Telegram computes them */
export function entitiesOf(text: string): { type: string; offset: number; length: number }[] {
  const out: { type: string; offset: number; length: number }[] = [];
  const cmd = /^\/[A-Za-z0-9_]+(@\w+)?/.exec(text);
  if (cmd) out.push({ type: "bot_command", offset: 0, length: cmd[0].length });
  for (const m of text.matchAll(/(^|[^\w/])(@\w{5,32})/g)) {
    out.push({ type: "mention", offset: m.index + m[1]!.length, length: m[2]!.length });
  }
  return out.sort((a, b) => a.offset - b.offset);
}

/** The update body (without update_id) for a user's message. */
export function buildUserMessage(o: UserMessageOptions, bot: MessageBuilderContext): Record<string, unknown> {
  const fromId = o.fromId ?? 1001;
  const chatId = o.chatId ?? fromId;
  const chatType = o.chatType ?? (chatId > 0 ? "private" : "supergroup");
  const from = { id: fromId, is_bot: false, first_name: o.firstName ?? "Ada", ...(o.username ? { username: o.username } : {}), language_code: "en" };
  const chat =
    chatType === "private"
      ? { id: chatId, type: chatType, first_name: from.first_name, ...(o.username ? { username: o.username } : {}) }
      : { id: chatId, type: chatType, title: "Test group", ...(o.threadId !== undefined ? { is_forum: true } : {}) };
  const msg: Record<string, unknown> = { message_id: bot.nextMessageId(), ...(chatType === "channel" ? {} : { from }), chat, date: Math.floor(Date.now() / 1000) };
  if (o.threadId !== undefined) Object.assign(msg, { message_thread_id: o.threadId, is_topic_message: true });
  const body = o.text ?? o.caption;
  const entities = o.entities ?? (body !== undefined ? entitiesOf(body) : []);
  if (o.text !== undefined) Object.assign(msg, { text: o.text }, entities.length ? { entities } : {});
  if (o.caption !== undefined) Object.assign(msg, { caption: o.caption }, entities.length ? { caption_entities: entities } : {});
  if (o.replyTo !== undefined) {
    const author = o.replyTo === true ? { id: bot.id, is_bot: true, first_name: bot.firstName, username: bot.username } : { id: o.replyTo, is_bot: false, first_name: "Bob" };
    msg.reply_to_message = { message_id: Math.max(1, bot.lastMessageId - 1), from: author, chat, date: msg.date, text: "earlier" };
  }
  if (o.voice) {
    const f = bot.addFile(o.voice.data, { dir: "voice", ext: "oga" });
    msg.voice = { file_id: f.file_id, file_unique_id: f.file_unique_id, duration: o.voice.duration ?? 2, mime_type: o.voice.mimeType ?? "audio/ogg", file_size: f.file_size };
  }
  if (o.photo) {
    const thumb = bot.addFile(Buffer.from("tiny-thumbnail"), { dir: "photos", ext: "jpg" });
    const full = bot.addFile(o.photo.data, { dir: "photos", ext: "jpg" });
    const [w, h] = [o.photo.width ?? 1280, o.photo.height ?? 960];
    msg.photo = [
      { file_id: thumb.file_id, file_unique_id: thumb.file_unique_id, file_size: thumb.file_size, width: 90, height: Math.round((90 * h) / w) },
      { file_id: full.file_id, file_unique_id: full.file_unique_id, file_size: full.file_size, width: w, height: h },
    ];
  }
  if (o.document) {
    const f = bot.addFile(o.document.data, { ext: o.document.fileName?.split(".").pop() ?? "bin", ...(o.document.reportedSize ? { reportedSize: o.document.reportedSize } : {}) });
    msg.document = { file_id: f.file_id, file_unique_id: f.file_unique_id, file_name: o.document.fileName ?? `file.${f.file_path.split(".").pop()}`, mime_type: o.document.mimeType, file_size: f.file_size };
  }
  if (o.audio) {
    const f = bot.addFile(o.audio.data, { dir: "music", ext: "mp3" });
    msg.audio = { file_id: f.file_id, file_unique_id: f.file_unique_id, duration: 3, mime_type: o.audio.mimeType ?? "audio/mpeg", file_size: f.file_size, ...(o.audio.fileName ? { file_name: o.audio.fileName } : {}) };
  }
  const kind = o.kind ?? (chatType === "channel" ? "channel_post" : "message");
  if (kind === "edited_message") msg.edit_date = (msg.date as number) + 1;
  return { [kind]: msg };
}
