import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openStore, type Store } from "../../src/store/open.ts";
import { PAIRING_CODE_LENGTH } from "../../src/store/pairing-store.ts";

let dir: string;
let file: string;
const open: Store[] = [];
const reopen = () => {
  const s = openStore(file);
  open.push(s);
  return s;
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "sb-store-"));
  file = join(dir, "state", "switchboard.db");
});
afterEach(() => {
  for (const s of open.splice(0)) s.close();
  rmSync(dir, { recursive: true, force: true });
});

const inbound = (messageId: string, sessionKey = "telegram:dm:1") => ({
  channel: "telegram",
  chatId: "1",
  messageId,
  sessionKey,
  senderId: "1",
  payload: { text: `hello ${messageId}` },
  receivedAt: 1000,
});

describe("sessions", () => {
  it("keeps history across a restart, compacts and resets without deleting", () => {
    let s = reopen();
    s.sessions.touchSession("k", { channel: "telegram", chatId: "1", now: 1 });
    const rows = s.sessions.append("k", [
      { role: "user", content: "one" },
      { role: "assistant", content: "two" },
      { role: "user", content: "three" },
    ], 2);
    s.close();
    s = reopen();
    expect(s.sessions.history("k").map((m) => m.message.content)).toEqual(["one", "two", "three"]);
    s.sessions.compact("k", "they counted", rows[2]!.id, 3);
    expect(s.sessions.history("k").map((m) => m.message.content)).toEqual(["three"]);
    expect(s.sessions.getSession("k")).toMatchObject({ summary: "they counted", messageCount: 1, channel: "telegram", chatId: "1" });
    s.sessions.reset("k", 4);
    expect(s.sessions.history("k")).toEqual([]);
    expect(s.sessions.getSession("k")!.summary).toBe("");
    const raw = new DatabaseSync(file);
    expect((raw.prepare("SELECT count(*) AS n FROM messages").get() as { n: number }).n).toBe(3);
    raw.close();
  });

  it("records usage and lists the most recent sessions first", () => {
    const s = reopen();
    s.sessions.touchSession("a", { now: 1 });
    s.sessions.touchSession("b", { now: 5 });
    s.sessions.recordUsage("a", { promptTokens: 1234, model: "glm#0" }, 9);
    expect(s.sessions.listSessions().map((x) => x.key)).toEqual(["a", "b"]);
    expect(s.sessions.getSession("a")).toMatchObject({ lastPromptTokens: 1234, lastModel: "glm#0" });
  });
});

describe("inbox and outbox", () => {
  it("drops redelivered inbound messages", () => {
    const s = reopen();
    expect(s.delivery.acceptInbound(inbound("m1"))).toBeDefined();
    expect(s.delivery.acceptInbound(inbound("m1"))).toBeUndefined();
    expect(s.delivery.pendingInbound()).toHaveLength(1);
  });

  it("answers a message found processing after a crash", () => {
    let s = reopen();
    const rec = s.delivery.acceptInbound(inbound("m1"))!;
    s.delivery.markInbound([rec.id], "processing");
    s.close();
    s = reopen();
    expect(s.delivery.sessionsWithPendingInbound()).toEqual(["telegram:dm:1"]);
    expect(s.delivery.pendingInbound("telegram:dm:1").map((r) => r.state)).toEqual(["processing"]);
  });

  it("stores a reply and marks its messages done in one transaction", () => {
    const s = reopen();
    const rec = s.delivery.acceptInbound(inbound("m1"))!;
    const bad = { toJSON() { throw new Error("boom"); } };
    expect(() =>
      s.delivery.enqueueReply({ channel: "telegram", chatId: "1", replyId: "r1", chunks: [{ text: "a" }, bad], answers: [rec.id], now: 5 }),
    ).toThrow(/boom/);
    expect(s.delivery.pendingOutbound(10)).toEqual([]);
    expect(s.delivery.pendingInbound()).toHaveLength(1);
    s.delivery.enqueueReply({ channel: "telegram", chatId: "1", replyId: "r1", chunks: [{ text: "a" }, { text: "b" }], answers: [rec.id], now: 5 });
    expect(s.delivery.pendingInbound()).toEqual([]);
    expect(s.delivery.pendingOutbound(10).map((r) => [r.replyId, r.seq, (r.chunk as { text: string }).text])).toEqual([
      ["r1", 0, "a"],
      ["r1", 1, "b"],
    ]);
  });

  it("respects not-before times, records sends and keeps dead letters", () => {
    const s = reopen();
    const [a, b] = s.delivery.enqueueReply({ channel: "discord", chatId: "9", replyId: "r", chunks: [{ t: 1 }, { t: 2 }], answers: [], now: 0 });
    s.delivery.markFailed(a!.id, "429 too many", 5000, false);
    expect(s.delivery.pendingOutbound(1000).map((r) => r.id)).toEqual([b!.id]);
    expect(s.delivery.pendingOutbound(6000, "discord").map((r) => r.id)).toEqual([a!.id, b!.id]);
    expect(s.delivery.pendingOutbound(6000, "telegram")).toEqual([]);
    s.delivery.markSent(a!.id, "pm-1", 6000);
    s.delivery.markFailed(b!.id, "chat not found", 0, true);
    expect(s.delivery.pendingOutbound(10_000)).toEqual([]);
    expect(s.delivery.deadLetters()).toMatchObject([{ id: b!.id, state: "dead", lastError: "chat not found", attempts: 1 }]);
    expect(s.delivery.counts()).toEqual({ inboundPending: 0, outboundPending: 0, dead: 1 });
  });
});

describe("pairing", () => {
  it("issues one unambiguous code per sender until it expires, approves case-insensitively", () => {
    const s = reopen();
    const req = s.pairing.requestCode({ channel: "telegram", senderId: "77", chatId: "77", label: "@eve" }, 0, 1000);
    expect(req.code).toMatch(new RegExp(`^[A-HJKMNP-Z2-9]{${PAIRING_CODE_LENGTH}}$`));
    expect(s.pairing.requestCode({ channel: "telegram", senderId: "77", chatId: "77" }, 500, 1000).code).toBe(req.code);
    expect(s.pairing.listRequests(500)).toHaveLength(1);
    expect(s.pairing.approve("discord", req.code, 600)).toBeUndefined();
    expect(s.pairing.approve("telegram", req.code.toLowerCase(), 600)).toMatchObject({ senderId: "77", label: "@eve" });
    expect(s.pairing.isApproved("telegram", "77")).toBe(true);
    expect(s.pairing.listRequests(600)).toEqual([]);
    expect(s.pairing.revoke("telegram", "77")).toBe(true);
    expect(s.pairing.isApproved("telegram", "77")).toBe(false);
  });

  it("refuses an expired code and issues a fresh one", () => {
    const s = reopen();
    const old = s.pairing.requestCode({ channel: "telegram", senderId: "5", chatId: "5" }, 0, 100);
    expect(s.pairing.approve("telegram", old.code, 200)).toBeUndefined();
    const fresh = s.pairing.requestCode({ channel: "telegram", senderId: "5", chatId: "5" }, 200, 100);
    expect(fresh.expiresAt).toBe(300);
  });
});

describe("cron jobs", () => {
  const job = (nextRunAt: number | null) => ({
    schedule: { kind: "every", everyMs: 60_000 } as never,
    payload: { kind: "agent" as const, message: "ping" },
    origin: { channel: "telegram", chatId: "1" },
    nextRunAt,
    createdAt: 0,
  });

  it("survives a restart, finds due jobs and never reuses an id", () => {
    let s = reopen();
    const a = s.cron.add(job(100));
    const b = s.cron.add(job(5000));
    s.cron.remove(b.id);
    s.close();
    s = reopen();
    const c = s.cron.add(job(200));
    expect(c.id).not.toBe(b.id);
    expect(s.cron.due(150).map((j) => j.id)).toEqual([a.id]);
    s.cron.setNextRun(a.id, 9000, true);
    s.cron.markRun(a.id, { at: 150, status: "error", error: "timeout" });
    expect(s.cron.get(a.id)).toMatchObject({ nextRunAt: 9000, lastStatus: "error", lastError: "timeout", enabled: true });
    s.cron.markRun(a.id, { at: 9000, status: "ok", output: "pong" });
    expect(s.cron.get(a.id)!.lastError).toBeUndefined();
    expect(s.cron.runs(a.id).map((r) => r.status)).toEqual(["ok", "error"]);
    s.cron.setEnabled(c.id, false, null);
    expect(s.cron.due(1e12).map((j) => j.id)).toEqual([a.id]);
  });
});

describe("database file", () => {
  it("refuses a database written by a newer version, saying what to do", () => {
    reopen().close();
    const raw = new DatabaseSync(file);
    raw.exec("PRAGMA user_version = 99");
    raw.close();
    expect(() => openStore(file)).toThrow(/newer Switchboard.*Upgrade/);
  });

  it("stays consistent when the process is killed mid-write", async () => {
    const script = join(dir, "writer.ts");
    const storeUrl = new URL("../../src/store/open.ts", import.meta.url).href;
    writeFileSync(
      script,
      `import { openStore } from ${JSON.stringify(storeUrl)};
const s = openStore(${JSON.stringify(file)});
let i = 0;
for (;;) {
  const rec = s.delivery.acceptInbound({ channel: "t", chatId: "c", messageId: "m" + i, sessionKey: "k", senderId: "u", payload: { i }, receivedAt: i });
  s.delivery.enqueueReply({ channel: "t", chatId: "c", replyId: "r" + i, chunks: [{ i, part: 0 }, { i, part: 1 }, { i, part: 2 }], answers: [rec.id], now: i });
  if (++i === 50) process.stdout.write("going\\n");
}
`,
    );
    const child = spawn(process.execPath, [script], { stdio: ["ignore", "pipe", "inherit"] });
    await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
    await new Promise((r) => setTimeout(r, 50));
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    const s = reopen();
    const chunks = s.delivery.pendingOutbound(Number.MAX_SAFE_INTEGER);
    const perReply = new Map<string, number>();
    for (const c of chunks) perReply.set(c.replyId, (perReply.get(c.replyId) ?? 0) + 1);
    expect(perReply.size).toBeGreaterThanOrEqual(50);
    for (const n of perReply.values()) expect(n).toBe(3); // never a partial reply
    // every answered message has its reply, and no reply lacks its done message
    expect(s.delivery.pendingInbound().length).toBeLessThanOrEqual(1);
  });
});
