// im.message.receive_v1 → InboundMessage. Direct (p2p) and group chats;
// text (mention keys "@_user_N" replaced by names, the bot's own removed),
// post (rich text flattened to lines of text, its images attached), image,
// audio, file and video (attached, downloaded only when the gateway asks).
import type { ChatType, InboundMedia, InboundMessage } from "../../src/core/channel.ts";
import {
  AudioContent,
  FileContent,
  ImageContent,
  MediaContent,
  parsePost,
  TextContent,
  type MentionT,
  type MessageReceivedT,
  type PostBodyT,
  type PostElementT,
} from "./schema.ts";

export interface Downloaded {
  data: Buffer;
  contentType: string | undefined;
}

export interface NormalizeContext {
  appId: string;
  botOpenId: string | undefined;
  /** GET /open-apis/im/v1/messages/{messageId}/resources/{fileKey}?type=... */
  download(messageId: string, fileKey: string, type: "image" | "file"): Promise<Downloaded>;
  /** whether the bot sent that message (for replyToBot) */
  sentByBot(messageId: string): boolean;
}

export type Normalized = { msg: InboundMessage } | { skip: string };

export function normalizeMessage(ev: MessageReceivedT, ctx: NormalizeContext): Normalized {
  const m = ev.message;
  const ids = ev.sender.sender_id;
  const senderId = ids?.open_id ?? ids?.union_id ?? ids?.user_id;
  if (!senderId) return { skip: "the sender has no open_id" };
  if (ctx.botOpenId && senderId === ctx.botOpenId) return { skip: "the bot's own message" };
  const chatType: ChatType = m.chat_type === "p2p" ? "direct" : "group";
  const mentions = m.mentions ?? [];
  const body = readContent(m.message_type, m.content, mentions, ctx.botOpenId);
  if ("skip" in body) return body;
  const media = body.files.map((f) => lazyMedia(f, m.message_id, ctx));
  const mentioned = body.mentioned || mentions.some((x) => isBot(x, ctx.botOpenId));
  const sentAt = Number(m.create_time);
  const msg: InboundMessage = {
    channel: "feishu",
    accountId: ctx.appId,
    chatId: m.chat_id,
    chatType,
    messageId: m.message_id,
    senderId,
    text: body.text,
    ...(m.thread_id ? { threadId: m.thread_id } : {}),
    ...(media.length ? { media } : {}),
    ...(chatType === "group" ? { mentioned } : {}),
    ...(m.parent_id && ctx.sentByBot(m.parent_id) ? { replyToBot: true } : {}),
    ...(Number.isFinite(sentAt) && sentAt > 0 ? { sentAt } : {}),
  };
  return { msg };
}

interface FileRef {
  kind: InboundMedia["kind"];
  key: string;
  type: "image" | "file";
  filename?: string;
  mimeType?: string;
}

export type Body = { text: string; files: FileRef[]; mentioned: boolean } | { skip: string };

export function readContent(type: string, raw: string, mentions: MentionT[], botOpenId: string | undefined): Body {
  let content: unknown;
  try {
    content = JSON.parse(raw);
  } catch {
    return { skip: `the ${type} message's content is not JSON` };
  }
  const bad = { skip: `the ${type} message's content has an unexpected shape` };
  switch (type) {
    case "text": {
      const c = TextContent.safeParse(content);
      return c.success ? { text: replaceMentionKeys(c.data.text, mentions, botOpenId), files: [], mentioned: false } : bad;
    }
    case "post": {
      const post = parsePost(content);
      return post ? flattenPost(post, mentions, botOpenId) : bad;
    }
    case "image": {
      const c = ImageContent.safeParse(content);
      return c.success ? { text: "", files: [{ kind: "image", key: c.data.image_key, type: "image" }], mentioned: false } : bad;
    }
    case "audio": {
      // Feishu voice messages are Opus in an Ogg container
      const c = AudioContent.safeParse(content);
      return c.success
        ? { text: "", files: [{ kind: "voice", key: c.data.file_key, type: "file", mimeType: "audio/ogg", filename: "voice.opus" }], mentioned: false }
        : bad;
    }
    case "file": {
      const c = FileContent.safeParse(content);
      return c.success
        ? { text: "", files: [{ kind: "file", key: c.data.file_key, type: "file", ...(c.data.file_name ? { filename: c.data.file_name } : {}) }], mentioned: false }
        : bad;
    }
    case "media": {
      const c = MediaContent.safeParse(content);
      return c.success
        ? { text: "", files: [{ kind: "video", key: c.data.file_key, type: "file", ...(c.data.file_name ? { filename: c.data.file_name } : {}) }], mentioned: false }
        : bad;
    }
    default:
      return { skip: `${type} messages are not handled` };
  }
}

function isBot(m: MentionT, botOpenId: string | undefined): boolean {
  return botOpenId !== undefined && m.id?.open_id === botOpenId;
}

/** "@_user_1 hi @_user_2" → "hi @Bob" when user 1 is the bot */
export function replaceMentionKeys(text: string, mentions: MentionT[], botOpenId: string | undefined): string {
  let out = text;
  // longest first, so "@_user_1" does not eat the front of "@_user_10"
  for (const m of [...mentions].sort((a, b) => b.key.length - a.key.length)) {
    if (isBot(m, botOpenId)) out = out.split(`${m.key} `).join("").split(m.key).join("");
    else out = out.split(m.key).join(`@${m.name || "user"}`);
  }
  return out.split("@_all").join("@all").trim();
}

function flattenPost(post: PostBodyT, mentions: MentionT[], botOpenId: string | undefined): Body {
  const files: FileRef[] = [];
  let mentioned = false;
  const byKey = new Map(mentions.map((m) => [m.key, m]));
  const element = (el: PostElementT): string => {
    switch (el.tag) {
      case "text":
      case "md":
        return el.text ?? "";
      case "a":
        return el.href && el.text && el.text !== el.href ? `${el.text} (${el.href})` : (el.href ?? el.text ?? "");
      case "at": {
        const who = el.user_id ? byKey.get(el.user_id) : undefined;
        if ((who && isBot(who, botOpenId)) || (botOpenId && el.user_id === botOpenId)) {
          mentioned = true;
          return "";
        }
        if (el.user_id === "all" || el.user_id === "@_all") return "@all";
        return `@${el.user_name || who?.name || "user"}`;
      }
      case "img":
        if (el.image_key) files.push({ kind: "image", key: el.image_key, type: "image" });
        return "";
      case "media":
        if (el.file_key) files.push({ kind: "video", key: el.file_key, type: "file" });
        return "";
      case "emotion":
        return el.emoji_type ? `:${el.emoji_type}:` : "";
      case "code_block":
        return `\`\`\`${el.language?.toLowerCase() ?? ""}\n${el.text ?? ""}\n\`\`\``;
      case "hr":
        return "---";
      default:
        return el.text ?? "";
    }
  };
  const lines = post.content.map((para) => para.map(element).join("").replace(/^ +| +$/g, ""));
  const title = post.title?.trim();
  const text = [...(title ? [title] : []), ...lines].join("\n").replace(/\n{3,}/g, "\n\n").trim();
  return { text, files, mentioned };
}

function lazyMedia(f: FileRef, messageId: string, ctx: NormalizeContext): InboundMedia {
  const item: InboundMedia = {
    kind: f.kind,
    ...(f.mimeType ? { mimeType: f.mimeType } : {}),
    ...(f.filename ? { filename: f.filename } : {}),
  };
  item.fetch = async () => {
    const got = await ctx.download(messageId, f.key, f.type);
    // the gateway reads mimeType after fetch(): images get their real type
    if (f.kind === "image") item.mimeType = imageType(got) ?? item.mimeType;
    return got.data;
  };
  return item;
}

function imageType(got: Downloaded): string | undefined {
  const d = got.data;
  if (d[0] === 0x89 && d.toString("latin1", 1, 4) === "PNG") return "image/png";
  if (d[0] === 0xff && d[1] === 0xd8 && d[2] === 0xff) return "image/jpeg";
  if (d.toString("latin1", 0, 4) === "GIF8") return "image/gif";
  if (d.toString("latin1", 0, 4) === "RIFF" && d.toString("latin1", 8, 12) === "WEBP") return "image/webp";
  const declared = got.contentType?.split(";")[0]?.trim();
  return declared?.startsWith("image/") ? declared : undefined;
}
