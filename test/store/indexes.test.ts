// The inbox's and outbox's state indexes (schema 4) hold only the rows their
// queries look for; answered and sent rows have no index of their own
// (schema 5), they are pruned in rowid order; the waiting chunks' index is
// in (channel, rowid) order, the order a channel's chunks are sent in (schema 6). What a person would notice if they were wrong: a
// database from the previous version that loses waiting messages, replies
// or dead letters on upgrade, or a status/recovery query that reads the
// whole history once it is large.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { describe, expect, it } from "vitest";
import { openStore } from "../../src/store/index.ts";
import { MIGRATIONS } from "../../src/store/schema.ts";
import { useTempDb } from "./helpers.ts";

const t = useTempDb();

/** a database as schema version 3 left it, with waiting, answered, sent and dead rows */
function versionThreeDb(file: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const raw = new DatabaseSync(file);
  raw.exec("PRAGMA journal_mode = WAL");
  for (const m of MIGRATIONS.slice(0, 3)) raw.exec(m);
  raw.exec("PRAGMA user_version = 3");
  const inbox = raw.prepare("INSERT INTO inbox (channel, chat_id, message_id, session_key, sender_id, payload, state, received_at) VALUES ('telegram', ?, ?, ?, 'u', '{\"text\":\"hi\"}', ?, ?)");
  inbox.run("1", "a", "s1", "done", 10);
  inbox.run("1", "b", "s1", "pending", 20);
  inbox.run("2", "c", "s2", "processing", 30);
  inbox.run("2", "d", "s2", "failed", 40);
  const outbox = raw.prepare("INSERT INTO outbox (channel, chat_id, reply_id, seq, chunk, state, created_at) VALUES ('telegram', '1', ?, ?, '{\"text\":\"re\"}', ?, ?)");
  outbox.run("r1", 0, "sent", 10);
  outbox.run("r2", 0, "pending", 20);
  outbox.run("r2", 1, "pending", 20);
  outbox.run("r3", 0, "dead", 30);
  raw.close();
}

describe("the state indexes", () => {
  it("an upgraded database keeps every waiting message, unsent chunk and dead letter where its queries find it", () => {
    versionThreeDb(t.file);
    const s = t.open();
    expect(s.delivery.pendingInbound().map((r) => r.messageId)).toEqual(["b", "c"]);
    expect(s.delivery.pendingInbound("s2").map((r) => r.messageId)).toEqual(["c"]);
    expect(s.delivery.sessionsWithPendingInbound()).toEqual(["s1", "s2"]);
    expect(s.delivery.pendingOutbound(100).map((o) => [o.replyId, o.seq])).toEqual([["r2", 0], ["r2", 1]]);
    expect(s.delivery.pendingOutbound(100, "telegram").map((o) => [o.replyId, o.seq])).toEqual([["r2", 0], ["r2", 1]]);
    expect(s.delivery.deadLetters().map((o) => o.replyId)).toEqual(["r3"]);
    expect(s.delivery.counts()).toEqual({ inboundPending: 2, outboundPending: 2, dead: 1 });
    expect(s.delivery.channelsWithPendingOutbound()).toEqual(["telegram"]);
    // answered and sent rows are pruned by age, waiting ones and dead letters never
    expect(s.delivery.prune(1000)).toBe(3);
    // and keep no index of their own (schema 5)
    const indexes = (s.db.prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name IN ('inbox', 'outbox') AND sql IS NOT NULL ORDER BY name").all() as { name: string }[]).map((r) => r.name);
    expect(indexes).toEqual(["inbox_open", "outbox_dead", "outbox_open"]);
    expect(s.delivery.counts()).toEqual({ inboundPending: 2, outboundPending: 2, dead: 1 });
  });

  it("rows move between the indexes as they are answered, sent, given up and retried", () => {
    const s = t.open();
    const row = s.delivery.acceptInbound({ channel: "t", chatId: "1", messageId: "m", sessionKey: "k", senderId: "u", payload: { text: "hi" }, receivedAt: 5 })!;
    const [chunk] = s.delivery.enqueueReply({ channel: "t", chatId: "1", replyId: "r", chunks: [{ text: "re" }], answers: [row.id], now: 6 });
    expect(s.delivery.pendingInbound("k")).toEqual([]);
    expect(s.delivery.pendingOutbound(10).map((o) => o.id)).toEqual([chunk!.id]);
    s.delivery.markFailed(chunk!.id, "no", 0, true);
    expect(s.delivery.counts()).toEqual({ inboundPending: 0, outboundPending: 0, dead: 1 });
    expect(s.delivery.retryDead(chunk!.id, 7)).toBe(true);
    expect(s.delivery.deadLetters()).toEqual([]);
    s.delivery.markSent([{ id: chunk!.id, platformMessageId: "p1" }], 8);
    expect(s.delivery.counts()).toEqual({ inboundPending: 0, outboundPending: 0, dead: 0 });
    expect(s.delivery.prune(100)).toBe(2);
  });

  it("no inbox or outbox query reads the whole table, even when the planner has statistics saying waiting rows are common", () => {
    const s = t.open();
    for (let i = 0; i < 300; i++) {
      const r = s.delivery.acceptInbound({ channel: "t", chatId: String(i % 30), messageId: String(i), sessionKey: `k${i % 30}`, senderId: "u", payload: { text: "x" }, receivedAt: i })!;
      const out = s.delivery.enqueueReply({ channel: "t", chatId: "c", replyId: `r${i}`, chunks: [{ t: 1 }, { t: 2 }], answers: i % 5 ? [r.id] : [], now: i });
      if (i % 3) s.delivery.markSent([{ id: out[0]!.id, platformMessageId: "p" }], i);
      if (i % 11 === 0) s.delivery.markFailed(out[1]!.id, "e", 0, true);
    }
    s.db.exec("ANALYZE");
    const statements = Object.values((s.delivery as unknown as { q: Record<string, { sourceSQL: string }> }).q);
    expect(statements.length).toBeGreaterThan(10);
    for (const st of statements) {
      const params = new Set(st.sourceSQL.match(/\?\d*/g) ?? []).size;
      const plan = (s.db.prepare(`EXPLAIN QUERY PLAN ${st.sourceSQL}`).all(...Array.from({ length: params }, () => 1)) as { detail: string }[]).map((r) => r.detail);
      for (const step of plan) expect(step, st.sourceSQL).not.toMatch(/^SCAN (inbox|outbox|o|e|f)$/);
      // a channel's due chunks, read on every drain, come in id order straight from the waiting index (schema 6)
      if (/o\.channel = \?2/.test(st.sourceSQL)) expect(plan, st.sourceSQL).toEqual([expect.stringMatching(/^SEARCH o USING INDEX outbox_open \(channel=\?\)$/), "CORRELATED SCALAR SUBQUERY 1", expect.stringMatching(/^SEARCH e USING INDEX/)]);
      // the prunes (schema 5: no age index) read the table from its oldest row and stop at the first one
      // young enough to keep, then delete by rowid below it
      if (/^DELETE FROM (inbox|outbox) WHERE id </.test(st.sourceSQL)) {
        expect(st.sourceSQL).toMatch(/ORDER BY y\.id LIMIT 1\)/);
        expect(plan).toEqual([expect.stringMatching(/^SEARCH (inbox|outbox) USING INTEGER PRIMARY KEY \(rowid<\?\)$/), "SCALAR SUBQUERY 1", "SCAN y"]);
      }
    }
  });
});
