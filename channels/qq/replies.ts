// Which inbound message a reply answers, and its msg_seq.
//
// QQ stopped delivering proactive messages in April 2025: a bot may only
// answer a message it received ("passive" replies: msg_id = that message,
// within 60 min in direct chats and 5 min in groups, at most 5 replies per
// message). Every reply to one msg_id carries a msg_seq, 1, 2, 3, ...; QQ
// refuses a msg_id + msg_seq it has seen before (code 40054005).
//
// So the adapter remembers, per chat, the recent inbound messages (and
// whether the chat is a user or a group: the two have different send URLs),
// and per msg_id the next msg_seq. A send without replyTo (the gateway sets
// it only on a group reply's first chunk) answers the newest message of the
// chat that is still inside QQ's window and has replies left, else the
// newest one (QQ then says why it refuses).
//
// A seq is "pending" while its POST is in flight or ended ambiguously (a
// timeout, a 5xx): sending the same text again reuses it, so a retry of a
// message that did arrive is recognised by QQ as a duplicate rather than
// posted twice. Any other text moves on to the next seq.
//
// The state is saved to <stateDir>/qq/replies-<app_id>.json (written before
// emit and before each POST), so replies still find their message after a
// restart or a crash.
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { z } from "zod";
import type { Clock } from "../../src/core/clock.ts";
import type { Logger } from "../../src/core/logger.ts";
import { errorMessage } from "../../src/core/errors.ts";

export type ChatKind = "user" | "group";

export const PASSIVE_WINDOW_MS: Record<ChatKind, number> = { user: 60 * 60_000, group: 5 * 60_000 };
export const REPLIES_PER_MESSAGE = 5;
/** entries older than this are forgotten */
const KEEP_MS = 2 * 60 * 60_000;
const MAX_MESSAGES = 2_000;

const Stored = z.object({
  v: z.literal(1),
  messages: z.array(
    z.object({
      id: z.string(),
      chatId: z.string(),
      kind: z.enum(["user", "group"]),
      at: z.number(),
      next: z.number().int().positive(),
      pending: z.object({ seq: z.number().int().positive(), hash: z.string() }).optional(),
    }),
  ),
});
type Entry = z.infer<typeof Stored>["messages"][number];

export interface ReplyTarget {
  kind: ChatKind;
  chatId: string;
  msgId: string;
}

export function textHash(text: string): string {
  return createHash("sha256").update(text).digest("base64url").slice(0, 16);
}

export class ReplyBook {
  private readonly file: string | undefined;
  private readonly clock: Clock;
  private readonly log: Logger;
  /** insertion order = arrival order */
  private readonly messages = new Map<string, Entry>();
  private saving: Promise<void> = Promise.resolve();

  constructor(opts: { file?: string; clock: Clock; logger: Logger }) {
    this.file = opts.file;
    this.clock = opts.clock;
    this.log = opts.logger;
  }

  async load(): Promise<void> {
    if (!this.file) return;
    let raw: string;
    try {
      raw = await readFile(this.file, "utf8");
    } catch {
      return;
    }
    try {
      const parsed = Stored.parse(JSON.parse(raw));
      for (const m of parsed.messages.sort((a, b) => a.at - b.at)) this.messages.set(m.id, m);
      this.prune();
    } catch {
      this.log.warn({ file: this.file }, "QQ reply state is unreadable; starting without it");
    }
  }

  /** an inbound message that can be answered */
  async remember(t: ReplyTarget): Promise<void> {
    if (this.messages.has(t.msgId)) return;
    this.messages.set(t.msgId, { id: t.msgId, chatId: t.chatId, kind: t.kind, at: this.clock.now(), next: 1 });
    this.prune();
    await this.save();
  }

  kindOf(chatId: string): ChatKind | undefined {
    for (const m of this.messages.values()) if (m.chatId === chatId) return m.kind;
    return undefined;
  }

  /** the message a send to `chatId` answers, or undefined when none is known */
  pick(chatId: string, replyTo?: string): ReplyTarget | undefined {
    const asked = replyTo ? this.messages.get(replyTo) : undefined;
    if (asked && asked.chatId === chatId) return { kind: asked.kind, chatId, msgId: asked.id };
    const inChat = [...this.messages.values()].filter((m) => m.chatId === chatId).reverse();
    if (replyTo && inChat[0]) {
      // an id we have not seen (state lost): QQ knows it, and the chat tells us the kind
      return { kind: inChat[0].kind, chatId, msgId: replyTo };
    }
    const now = this.clock.now();
    const usable = inChat.find((m) => now - m.at < PASSIVE_WINDOW_MS[m.kind] && m.next <= REPLIES_PER_MESSAGE);
    const chosen = usable ?? inChat[0];
    return chosen ? { kind: chosen.kind, chatId, msgId: chosen.id } : undefined;
  }

  /**
   * The msg_seq for a reply to `target` with this text, saved as pending
   * before the POST. `retry` is true when it reuses the seq of an earlier
   * attempt with the same text that ended without a clear answer.
   */
  async begin(target: ReplyTarget, hash: string): Promise<{ seq: number; retry: boolean }> {
    const m = this.entry(target);
    if (m.pending && m.pending.hash === hash) return { seq: m.pending.seq, retry: true };
    if (m.pending) m.next = Math.max(m.next, m.pending.seq + 1);
    m.pending = { seq: m.next, hash };
    await this.save();
    return { seq: m.pending.seq, retry: false };
  }

  /** the POST with `seq` ended for sure (delivered or refused): the next reply takes seq + 1 */
  async settle(msgId: string, seq: number): Promise<void> {
    const m = this.messages.get(msgId);
    if (!m) return;
    m.next = Math.max(m.next, seq + 1);
    if (m.pending && m.pending.seq <= seq) delete m.pending;
    await this.save();
  }

  private entry(t: ReplyTarget): Entry {
    let m = this.messages.get(t.msgId);
    if (!m) {
      m = { id: t.msgId, chatId: t.chatId, kind: t.kind, at: this.clock.now(), next: 1 };
      this.messages.set(t.msgId, m);
    }
    return m;
  }

  private prune(): void {
    const cutoff = this.clock.now() - KEEP_MS;
    for (const [id, m] of this.messages) {
      if (m.at < cutoff || this.messages.size > MAX_MESSAGES) this.messages.delete(id);
      else break;
    }
  }

  /** writes are queued one after another; each writes the whole (small) state atomically */
  private save(): Promise<void> {
    const file = this.file;
    if (!file) return Promise.resolve();
    this.saving = this.saving.then(async () => {
      const data = JSON.stringify({ v: 1, messages: [...this.messages.values()] });
      const tmp = `${file}.${process.pid}.tmp`;
      try {
        await mkdir(dirname(file), { recursive: true });
        await writeFile(tmp, data, { mode: 0o600 });
        await rename(tmp, file);
      } catch (err) {
        this.log.warn({ err: errorMessage(err), file }, "could not save QQ reply state");
      }
    });
    return this.saving;
  }
}
