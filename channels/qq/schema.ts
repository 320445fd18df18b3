// The shapes this adapter reads from QQ, validated at the edge. Unknown
// fields pass through untouched; a payload missing what the adapter needs is
// skipped with a log line rather than crashing the connection.
import { z } from "zod";

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

/** GROUP_AND_C2C_EVENT: C2C_MESSAGE_CREATE and GROUP_AT_MESSAGE_CREATE (and friend/group membership events) */
export const INTENT_GROUP_AND_C2C = 1 << 25;

export const Envelope = z.object({
  op: z.number().int(),
  d: z.unknown().optional(),
  s: z.number().int().nullable().optional(),
  t: z.string().nullable().optional(),
  id: z.string().optional(),
});
export type Envelope = z.infer<typeof Envelope>;

export const Hello = z.object({ heartbeat_interval: z.number().positive() });
export const Ready = z.object({
  session_id: z.string().min(1),
  user: z.object({ id: z.string().optional(), username: z.string().optional() }).optional(),
});

export const GatewayUrl = z.object({ url: z.string().min(1) });

export const Attachment = z.object({
  content_type: z.string().optional(),
  url: z.string().optional(),
  filename: z.string().optional(),
  size: z.number().nonnegative().optional(),
  /** voice messages: the same audio converted to WAV by QQ */
  voice_wav_url: z.string().optional(),
});
export type Attachment = z.infer<typeof Attachment>;

/** message_type of a message that quotes another; the quoted one is in msg_elements */
export const QUOTE_MESSAGE_TYPE = 103;


const base = {
  id: z.string().min(1),
  content: z.string().optional(),
  timestamp: z.union([z.string(), z.number()]).optional(),
  attachments: z.array(Attachment).optional(),
  // context only: a shape we do not expect drops the context, never the message
  message_type: z.number().int().optional().catch(undefined),
  msg_elements: z.array(z.looseObject({ content: z.string().optional().catch(undefined) }).catch({})).optional().catch(undefined),
};

export const C2cMessage = z.object({
  ...base,
  author: z.object({ user_openid: z.string().min(1) }),
});
export type C2cMessage = z.infer<typeof C2cMessage>;

export const GroupMessage = z.object({
  ...base,
  group_openid: z.string().min(1),
  author: z.object({ member_openid: z.string().min(1) }),
});
export type GroupMessage = z.infer<typeof GroupMessage>;

export const SendResult = z.object({ id: z.string().min(1), timestamp: z.union([z.string(), z.number()]).optional() });
export const UploadResult = z.object({ file_info: z.string().min(1), file_uuid: z.string().optional(), ttl: z.number().optional() });
