// Reply ids in the order they are made. The outbox's UNIQUE (reply_id, seq)
// index (which refuses a reply queued twice) is a b-tree keyed by the id: a
// random UUID lands each new reply on a random leaf page, so as the outbox
// grows every reply dirties (and, once the table outgrows SQLite's page
// cache, reads) a page nobody else touched, and each commit writes those
// pages to the WAL. An id that starts with the time (the UUID version 7
// layout: 48 bits of Unix milliseconds, then 74 random bits) lands on the
// index's last page, which every reply of the moment shares and which stays
// in the cache. Still unique (74 random bits per millisecond) and still a
// UUID to anything that reads one.
import { randomUUID } from "node:crypto";

/** a new reply id: a UUID (version 7) whose text sorts by creation time */
export function newReplyId(now: number = Date.now()): string {
  const time = Math.max(0, Math.floor(now)).toString(16).padStart(12, "0").slice(-12);
  // the random UUID's own version nibble (at 14) is replaced by 7; its variant bits stay
  const random = randomUUID();
  return `${time.slice(0, 8)}-${time.slice(8)}-7${random.slice(15)}`;
}
