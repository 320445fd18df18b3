// The parts of Feishu's event payloads this adapter reads, checked with zod
// at the boundary (webhook bodies and long-connection frames alike). Unknown
// fields pass through; a field we read that has the wrong shape fails the
// parse with its path.
import { z } from "zod";

/** {"encrypt": "<base64>"}: a webhook body when an Encrypt Key is set */
export const EncryptedBody = z.object({ encrypt: z.string().min(1) });

/** the one-time check when the request URL is saved in the console */
export const UrlVerification = z.looseObject({
  type: z.literal("url_verification"),
  challenge: z.string(),
  token: z.string().optional(),
});

export const EventHeader = z.looseObject({
  event_id: z.string().min(1),
  event_type: z.string().min(1),
  create_time: z.string().optional(),
  token: z.string().optional(),
  app_id: z.string().optional(),
  tenant_key: z.string().optional(),
});

/** event schema 2.0: {schema, header, event} */
export const EventEnvelope = z.looseObject({
  schema: z.literal("2.0"),
  header: EventHeader,
  event: z.unknown(),
});

const UserIds = z.looseObject({
  open_id: z.string().optional(),
  user_id: z.string().optional(),
  union_id: z.string().optional(),
});

export const Mention = z.looseObject({
  /** "@_user_1": where the mention sits in the content */
  key: z.string(),
  id: UserIds.optional(),
  name: z.string().optional(),
});

/** event of im.message.receive_v1 */
export const MessageReceived = z.looseObject({
  sender: z.looseObject({
    sender_id: UserIds.optional(),
    sender_type: z.string().optional(),
    tenant_key: z.string().optional(),
  }),
  message: z.looseObject({
    message_id: z.string().min(1),
    root_id: z.string().optional(),
    parent_id: z.string().optional(),
    thread_id: z.string().optional(),
    create_time: z.string().optional(),
    chat_id: z.string().min(1),
    /** "p2p" | "group" (and "topic_group" in topic groups) */
    chat_type: z.string(),
    message_type: z.string(),
    /** a JSON string whose shape depends on message_type */
    content: z.string(),
    mentions: z.array(Mention).optional(),
  }),
});

export type EventEnvelopeT = z.infer<typeof EventEnvelope>;
export type MessageReceivedT = z.infer<typeof MessageReceived>;
export type MentionT = z.infer<typeof Mention>;

// message contents (the `content` JSON string) by message_type

export const TextContent = z.looseObject({ text: z.string() });
export const ImageContent = z.looseObject({ image_key: z.string().min(1) });
export const AudioContent = z.looseObject({ file_key: z.string().min(1), duration: z.number().optional() });
export const FileContent = z.looseObject({ file_key: z.string().min(1), file_name: z.string().optional() });
export const MediaContent = z.looseObject({ file_key: z.string().min(1), file_name: z.string().optional(), duration: z.number().optional() });

export const PostElement = z.looseObject({
  tag: z.string(),
  text: z.string().optional(),
  href: z.string().optional(),
  user_id: z.string().optional(),
  user_name: z.string().optional(),
  image_key: z.string().optional(),
  file_key: z.string().optional(),
  emoji_type: z.string().optional(),
  language: z.string().optional(),
});
export type PostElementT = z.infer<typeof PostElement>;

export const PostBody = z.looseObject({
  title: z.string().optional(),
  content: z.array(z.array(PostElement)),
});
export type PostBodyT = z.infer<typeof PostBody>;

/** Reads a post: received posts are {title, content}; a locale-wrapped {"zh_cn": {...}} is taken too. */
export function parsePost(value: unknown): PostBodyT | undefined {
  const direct = PostBody.safeParse(value);
  if (direct.success) return direct.data;
  if (typeof value !== "object" || value === null) return undefined;
  for (const inner of Object.values(value)) {
    const wrapped = PostBody.safeParse(inner);
    if (wrapped.success) return wrapped.data;
  }
  return undefined;
}

/** Where a zod failure was, for a 400 body or a log line. */
export function issueText(error: z.ZodError, what: string): string {
  const issue = error.issues[0];
  const where = issue?.path.length ? issue.path.join(".") : "body";
  return `not ${what}: ${where}: ${issue?.message ?? "invalid"}`;
}
