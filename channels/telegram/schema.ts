// The parts of a Bot API Update this adapter reads, checked with zod at the
// boundary (webhook bodies and getUpdates results alike). Unknown fields pass
// through untouched; a field we read that has the wrong shape fails the parse.
import { z } from "zod";

const int = z.number().int();

export const UserSchema = z.looseObject({
  id: int,
  is_bot: z.boolean().optional(),
  first_name: z.string().optional(),
  last_name: z.string().optional(),
  username: z.string().optional(),
});

export const ChatSchema = z.looseObject({
  id: int,
  type: z.string(),
  title: z.string().optional(),
  is_forum: z.boolean().optional(),
});

/** MessageOrigin: user, hidden_user, chat or channel */
const OriginSchema = z.looseObject({
  type: z.string(),
  sender_user: UserSchema.optional(),
  sender_user_name: z.string().optional(),
  sender_chat: ChatSchema.optional(),
  chat: ChatSchema.optional(),
  author_signature: z.string().optional(),
});

const EntitySchema = z.looseObject({
  type: z.string(),
  offset: int.min(0),
  length: int.min(0),
  user: UserSchema.optional(),
});

const FileSchema = z.looseObject({
  file_id: z.string().min(1),
  file_unique_id: z.string().optional(),
  file_size: z.number().optional(),
  mime_type: z.string().optional(),
  file_name: z.string().optional(),
});

const PhotoSizeSchema = FileSchema.extend({ width: int, height: int });

export const MessageSchema = z.looseObject({
  message_id: int,
  date: int,
  chat: ChatSchema,
  from: UserSchema.optional(),
  sender_chat: ChatSchema.optional(),
  message_thread_id: int.optional(),
  is_topic_message: z.boolean().optional(),
  text: z.string().optional(),
  caption: z.string().optional(),
  entities: z.array(EntitySchema).optional(),
  caption_entities: z.array(EntitySchema).optional(),
  reply_to_message: z
    .looseObject({
      message_id: int,
      from: UserSchema.optional(),
      sender_chat: ChatSchema.optional(),
      text: z.string().optional(),
      caption: z.string().optional(),
    })
    .optional(),
  // context for the model only: an unexpected shape drops the context, never the message
  /** the part of the replied-to message the person quoted */
  quote: z.looseObject({ text: z.string() }).optional().catch(undefined),
  /** a reply to a message in another chat or topic: who wrote it, no text (the quote carries that) */
  external_reply: z.looseObject({ origin: OriginSchema }).optional().catch(undefined),
  forward_origin: OriginSchema.optional().catch(undefined),
  voice: FileSchema.optional(),
  audio: FileSchema.optional(),
  document: FileSchema.optional(),
  video: FileSchema.optional(),
  photo: z.array(PhotoSizeSchema).optional(),
});

export const UpdateSchema = z.looseObject({
  update_id: int.min(0),
  message: MessageSchema.optional(),
});

export type TgUser = z.infer<typeof UserSchema>;
export type TgMessage = z.infer<typeof MessageSchema>;
export type TgUpdate = z.infer<typeof UpdateSchema>;
export type TgEntity = z.infer<typeof EntitySchema>;
export type TgOrigin = z.infer<typeof OriginSchema>;
export type TgFile = z.infer<typeof FileSchema>;

/** Parses one update; the error says which field was wrong. */
export function parseUpdate(body: unknown): { ok: true; update: TgUpdate } | { ok: false; reason: string } {
  const r = UpdateSchema.safeParse(body);
  if (r.success) return { ok: true, update: r.data };
  const issue = r.error.issues[0];
  const where = issue?.path.length ? issue.path.join(".") : "body";
  return { ok: false, reason: `not a Telegram update: ${where}: ${issue?.message ?? "invalid"}` };
}
