// Reply ids are UUIDs that sort by the time they were made, so the outbox's
// reply index grows at its end instead of at random places.
import { describe, expect, it } from "vitest";
import { newReplyId } from "../../src/store/reply-id.ts";
import { useTempDb } from "./helpers.ts";

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("newReplyId", () => {
  it("is a version 7 UUID whose leading 48 bits are the time", () => {
    const id = newReplyId(0x0123456789ab);
    expect(id).toMatch(UUID_V7);
    expect(id.slice(0, 13)).toBe("01234567-89ab");
    expect(newReplyId()).toMatch(UUID_V7);
  });

  it("sorts by the time it was made, and never repeats", () => {
    const ids = Array.from({ length: 2000 }, (_, i) => newReplyId(1_700_000_000_000 + Math.floor(i / 10)));
    expect(new Set(ids).size).toBe(ids.length);
    for (let i = 10; i < ids.length; i += 10) expect(ids[i - 1]! < ids[i]!).toBe(true);
  });

  const t = useTempDb();
  it("adds each new reply at the end of the outbox's reply index", () => {
    const s = t.open();
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) {
      const replyId = newReplyId(1_700_000_000_000 + i);
      ids.push(replyId);
      s.delivery.enqueueReply({ channel: "t", chatId: "c", replyId, chunks: ["x"], answers: [], now: i });
    }
    // the index's order is the order the replies were queued in
    const inIndex = (s.db.prepare("SELECT reply_id FROM outbox INDEXED BY sqlite_autoindex_outbox_1 ORDER BY reply_id, seq").all() as { reply_id: string }[]).map((r) => r.reply_id);
    expect(inIndex).toEqual(ids);
  });
});
