// Answered messages and their media do not stay forever: pruned after the
// retention period by the daemon, and on demand with `switchboard store vacuum`.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { sqliteBackend } from "../../src/store/sqlite-backend.ts";
import { pruneAnswered, startRetention } from "../../src/store/index.ts";
import { runCli } from "../cli/run-cli.ts";
import { useTempDb } from "./helpers.ts";

const t = useTempDb();
const DAY = 24 * 60 * 60_000;
const NOW = Date.UTC(2026, 5, 1);
const image = "A".repeat(200_000); // a base64 image carried inline

function fill(s: ReturnType<typeof t.open>) {
  const old = NOW - 10 * DAY;
  // answered 10 days ago, with media both ways
  const a = s.delivery.acceptInbound({ channel: "t", chatId: "c", messageId: "old", sessionKey: "k", senderId: "u", payload: { text: "q", media: [{ data: image }] }, receivedAt: old })!;
  const [out] = s.delivery.enqueueReply({ channel: "t", chatId: "c", replyId: "r-old", chunks: [{ text: "", media: { data: image } }], answers: [a.id], now: old });
  s.delivery.markSent([{ id: out!.id, platformMessageId: "p1" }], old);
  s.journal.begin("inbox:1", "message:x#0", "message", old);
  // still waiting (old but unanswered), a dead letter, and yesterday's answer
  s.delivery.acceptInbound({ channel: "t", chatId: "c", messageId: "waiting", sessionKey: "k", senderId: "u", payload: {}, receivedAt: old });
  const [dead] = s.delivery.enqueueReply({ channel: "t", chatId: "c", replyId: "r-dead", chunks: [{ text: "x" }], answers: [], now: old });
  s.delivery.markFailed(dead!.id, "chat gone", 0, true);
  const b = s.delivery.acceptInbound({ channel: "t", chatId: "c", messageId: "new", sessionKey: "k", senderId: "u", payload: {}, receivedAt: NOW - DAY })!;
  s.delivery.enqueueReply({ channel: "t", chatId: "c", replyId: "r-new", chunks: [{ text: "y" }], answers: [b.id], now: NOW - DAY });
}

const ids = (s: ReturnType<typeof t.open>, table: string, col: string) =>
  (s.db.prepare(`SELECT ${col} AS v FROM ${table} ORDER BY id`).all() as { v: string }[]).map((r) => r.v);

describe("retention", () => {
  it("prunes what was answered before the period, and keeps the unanswered, the unsent and dead letters", () => {
    const s = t.open();
    fill(s);
    expect(pruneAnswered(s, 7, NOW)).toEqual({ messages: 2, toolCalls: 1 });
    expect(ids(s, "inbox", "message_id")).toEqual(["waiting", "new"]);
    expect(ids(s, "outbox", "reply_id")).toEqual(["r-dead", "r-new"]);
    expect(() => pruneAnswered(s, 0, NOW)).toThrow(/positive number of days/);
  });

  it("prunes in the order messages were stored: an old row stored after a younger one (the clock stepped back) goes once that one does", () => {
    const s = t.open();
    const answer = (messageId: string, at: number) => {
      const r = s.delivery.acceptInbound({ channel: "t", chatId: "c", messageId, sessionKey: "k", senderId: "u", payload: {}, receivedAt: at })!;
      s.delivery.enqueueReply({ channel: "t", chatId: "c", replyId: `r-${messageId}`, chunks: [{ text: messageId }], answers: [r.id], now: at });
      s.delivery.markSent(s.delivery.pendingOutbound(Number.MAX_SAFE_INTEGER).map((c) => ({ id: c.id, platformMessageId: "p" })), at);
    };
    answer("old-1", NOW - 20 * DAY);
    answer("young", NOW - DAY);
    answer("old-2", NOW - 30 * DAY); // stored after "young", with an older time
    expect(pruneAnswered(s, 7, NOW).messages).toBe(2); // old-1's message and reply
    expect(ids(s, "inbox", "message_id")).toEqual(["young", "old-2"]);
    expect(ids(s, "outbox", "reply_id")).toEqual(["r-young", "r-old-2"]);
    // a week later "young" is old too, and both go
    expect(pruneAnswered(s, 7, NOW + 7 * DAY).messages).toBe(4);
    expect(ids(s, "inbox", "message_id")).toEqual([]);
    expect(ids(s, "outbox", "reply_id")).toEqual([]);
  });

  it("the daemon's periodic prune runs at start and reports a failure instead of throwing", async () => {
    const s = t.open();
    fill(s);
    const errors: unknown[] = [];
    const backend = sqliteBackend(s);
    const stop = startRetention(backend, 1 / 24, (e) => errors.push(e));
    stop();
    await vi.waitFor(() => expect(ids(s, "inbox", "message_id")).toEqual(["waiting"]));
    s.db.exec("PRAGMA query_only = ON"); // a read-only database
    expect(() => startRetention(backend, 1 / 24, (e) => errors.push(e))()).not.toThrow();
    await vi.waitFor(() => expect(errors).toHaveLength(1));
    expect(s.health.state).toBe("read_only");
  });

  it("`switchboard store vacuum` prunes and gives the space back to the disk", async () => {
    const home = t.dir;
    const s = t.open();
    fill(s);
    // the CLI reads <home>/switchboard.db: point the temp db there
    s.close();
    const { renameSync } = await import("node:fs");
    renameSync(t.file, join(home, "switchboard.db"));
    writeFileSync(join(home, "config.json"), JSON.stringify({ gateway: { retention_days: 3 } }));
    const env = { SWITCHBOARD_HOME: home, HOME: home };
    const res = await runCli(["store", "vacuum", "--json"], env);
    expect(res.stderr).toBe("");
    const out = JSON.parse(res.stdout) as { retentionDays: number; messages: number; bytesBefore: number; bytesAfter: number };
    expect(out.retentionDays).toBe(3);
    expect(out.messages).toBeGreaterThanOrEqual(2);
    expect(out.bytesAfter).toBeLessThan(out.bytesBefore - 300_000);
    const bad = await runCli(["store", "vacuum", "--days", "soon"], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--days must be a positive number of days, got "soon"/);
  });
});
