// Event payloads as Feishu sends them (event schema 2.0) and the ids the
// fake hands out. Users are named in tests ("alice"); their open_id and
// direct-chat id are derived from the name, so a harness can compute them.
import { createHash, randomBytes } from "node:crypto";

const hex = (seed: string, n = 32) => createHash("md5").update(seed).digest("hex").slice(0, n);

/** ou_ + 32 hex digits, stable per name */
export function openIdFor(user: string): string {
  return `ou_${hex(`lark-user:${user}`)}`;
}

/** the bot's direct chat with that user: oc_ + 32 hex digits */
export function p2pChatIdFor(user: string): string {
  return `oc_${hex(`lark-p2p:${user}`)}`;
}

export function newId(prefix: string): string {
  return `${prefix}${randomBytes(16).toString("hex")}`;
}

export interface MentionSpec {
  openId: string;
  name: string;
}

export interface MessageSpec {
  senderOpenId: string;
  chatId: string;
  chatType: "p2p" | "group";
  messageType: "text" | "post" | "image" | "audio" | "file" | "media" | "sticker" | string;
  /** the content object (it travels as a JSON string) or a raw string */
  content: unknown;
  /** mention keys are numbered in order: @_user_1, @_user_2, ... */
  mentions?: MentionSpec[];
  parentId?: string;
  rootId?: string;
  threadId?: string;
  messageId?: string;
  eventId?: string;
  /** epoch ms */
  createTime?: number;
  senderType?: "user" | "app";
}

export interface BuiltEvent {
  eventId: string;
  messageId: string;
  envelope: Record<string, unknown>;
}

export function messageEvent(spec: MessageSpec, app: { appId: string; verificationToken: string; tenantKey: string }): BuiltEvent {
  const eventId = spec.eventId ?? newId("");
  const messageId = spec.messageId ?? newId("om_");
  const created = String(spec.createTime ?? Date.now());
  const mentions = (spec.mentions ?? []).map((m, i) => ({
    key: `@_user_${i + 1}`,
    id: { open_id: m.openId, union_id: `on_${hex(m.openId)}`, user_id: hex(m.openId, 8) },
    name: m.name,
    tenant_key: app.tenantKey,
  }));
  const envelope = {
    schema: "2.0",
    header: {
      event_id: eventId,
      event_type: "im.message.receive_v1",
      create_time: created,
      token: app.verificationToken,
      app_id: app.appId,
      tenant_key: app.tenantKey,
    },
    event: {
      sender: {
        sender_id: { open_id: spec.senderOpenId, union_id: `on_${hex(spec.senderOpenId)}`, user_id: hex(spec.senderOpenId, 8) },
        sender_type: spec.senderType ?? "user",
        tenant_key: app.tenantKey,
      },
      message: {
        message_id: messageId,
        ...(spec.rootId ? { root_id: spec.rootId } : {}),
        ...(spec.parentId ? { parent_id: spec.parentId } : {}),
        ...(spec.threadId ? { thread_id: spec.threadId } : {}),
        create_time: created,
        update_time: created,
        chat_id: spec.chatId,
        chat_type: spec.chatType,
        message_type: spec.messageType,
        content: typeof spec.content === "string" ? spec.content : JSON.stringify(spec.content),
        ...(mentions.length ? { mentions } : {}),
        user_agent: "Mozilla/5.0 (fake lark)",
      },
    },
  };
  return { eventId, messageId, envelope };
}

/** text content with the mentions' keys in front, the way Feishu writes "@Bot hello" */
export function textWithMentions(text: string, mentions: MentionSpec[]): { text: string } {
  const keys = mentions.map((_, i) => `@_user_${i + 1}`);
  return { text: keys.length ? `${keys.join(" ")} ${text}` : text };
}

/** the flattened text of what the bot sent: text content, or the words of a post */
export function sentText(msgType: string, content: unknown): string {
  if (typeof content !== "object" || content === null) return "";
  const c = content as Record<string, unknown>;
  if (msgType === "text") return typeof c.text === "string" ? c.text : "";
  if (msgType !== "post") return "";
  const body = (c.zh_cn ?? c.en_us ?? Object.values(c)[0]) as { title?: string; content?: { tag: string; text?: string }[][] } | undefined;
  const lines = (body?.content ?? []).map((para) => para.map((el) => el.text ?? "").join(""));
  return [...(body?.title ? [body.title] : []), ...lines].join("\n");
}
