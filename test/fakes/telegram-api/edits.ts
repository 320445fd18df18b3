// editMessageText and deleteMessage of the fake Bot API, with Telegram's
// answers: 400 "message is not modified" for an edit that changes nothing,
// 400 "message to edit not found" / "message to delete not found", and flood
// control: an edit in a chat less than `floodGapMs` after the previous edit
// there is refused with 429 and retry_after, as Telegram does for bots that
// edit faster than about once a second per chat.
import { z } from "zod";
import { ApiError, bad, chatIdField, check } from "./wire.ts";

export interface EditRecord {
  token: string;
  chat_id: number | string;
  message_id: number;
  text: string;
  parse_mode?: string;
  /** Date.now() when the fake accepted it */
  at: number;
}

/** what the edit book needs of a sent message */
export interface Editable {
  token: string;
  chat_id: number | string;
  message_id: number;
  text?: string;
  parse_mode?: string;
  deleted?: boolean;
}

const EditParams = z.object({
  chat_id: chatIdField,
  message_id: z.coerce.number().int(),
  text: z.string({ error: "text must be non-empty" }).min(1, "text must be non-empty"),
  parse_mode: z.string().optional(),
});
const DeleteParams = z.object({ chat_id: chatIdField, message_id: z.coerce.number().int() });

export class TelegramEditBook {
  readonly edits: EditRecord[] = [];
  /** edits refused by flood control */
  floodRefusals = 0;
  /** least time between two edits in one chat before flood control answers 429 (0: off) */
  floodGapMs = 900;
  private readonly lastEdit = new Map<string, number>();

  edit(token: string, params: Record<string, unknown>, messages: Editable[], visible: (text: string, parseMode?: string) => string): unknown {
    const p = check(EditParams, params);
    const msg = messages.find((m) => m.token === token && String(m.chat_id) === String(p.chat_id) && m.message_id === p.message_id && !m.deleted);
    if (!msg) throw bad("message to edit not found");
    const shown = visible(p.text, p.parse_mode);
    if (shown.length > 4096) throw bad("MESSAGE_TOO_LONG");
    if (msg.text === p.text && msg.parse_mode === p.parse_mode) {
      throw bad("message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message");
    }
    const key = `${token}:${p.chat_id}`;
    const now = Date.now();
    const last = this.lastEdit.get(key);
    if (this.floodGapMs > 0 && last !== undefined && now - last < this.floodGapMs) {
      this.floodRefusals++;
      const retry = Math.max(1, Math.ceil((this.floodGapMs - (now - last)) / 1000));
      throw new ApiError(429, `Too Many Requests: retry after ${retry}`, { retry_after: retry });
    }
    this.lastEdit.set(key, now);
    msg.text = p.text;
    if (p.parse_mode) msg.parse_mode = p.parse_mode;
    else delete msg.parse_mode;
    this.edits.push({ token, chat_id: p.chat_id, message_id: p.message_id, text: shown, ...(p.parse_mode ? { parse_mode: p.parse_mode } : {}), at: now });
    return { message_id: msg.message_id, chat: { id: p.chat_id }, date: Math.floor(now / 1000), edit_date: Math.floor(now / 1000), text: shown };
  }

  delete(token: string, params: Record<string, unknown>, messages: Editable[]): true {
    const p = check(DeleteParams, params);
    const msg = messages.find((m) => m.token === token && String(m.chat_id) === String(p.chat_id) && m.message_id === p.message_id && !m.deleted);
    if (!msg) throw bad("message to delete not found");
    msg.deleted = true;
    return true;
  }
}
