// kill -9 while the store is writing: the database must come back with every
// committed transaction whole and nothing of the one in flight.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { useTempDb } from "./helpers.ts";
import { runAndKill as runScriptAndKill } from "./kill-child.ts";

const t = useTempDb();
const storeUrl = new URL("../../src/store/index.ts", import.meta.url).href;

/** Runs `body` in a child Node (this one) and kills it with SIGKILL once `killWhen` says so for a stdout line. */
function runAndKill(body: string, killWhen: (line: string, lines: string[]) => boolean): Promise<string[]> {
  const script = join(t.dir, "writer.mts");
  writeFileSync(script, `import { openStore, transaction } from ${JSON.stringify(storeUrl)};\nconst s = openStore(${JSON.stringify(t.file)});\n${body}\n`);
  return runScriptAndKill(script, killWhen);
}

describe("a process killed with SIGKILL", () => {
  it("in the middle of a write loop leaves every committed message, answer and history whole", async () => {
    const lines = await runAndKill(
      `
for (let i = 0; ; i++) {
  const rec = s.delivery.acceptInbound({ channel: "t", chatId: "c", messageId: "m" + i, sessionKey: "k", senderId: "u", payload: { i }, receivedAt: i });
  s.delivery.markInbound([rec.id], "processing");
  s.sessions.append("k", [{ role: "user", content: "q" + i }, { role: "assistant", content: "a" + i }], i);
  s.delivery.enqueueReply({ channel: "t", chatId: "c", replyId: "r" + i, chunks: [{ i, part: 0 }, { i, part: 1 }, { i, part: 2 }], answers: [rec.id], now: i });
  process.stdout.write(i + "\\n");
}`,
      (_line, all) => all.length >= 150,
    );
    const reported = Number(lines.at(-1));
    const s = t.open();
    expect(s.db.prepare("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });

    // every iteration the child reported is fully there
    const inbox = s.db.prepare("SELECT message_id, state, turn_id FROM inbox ORDER BY id").all() as { message_id: string; state: string; turn_id: string | null }[];
    expect(inbox.length).toBeGreaterThan(reported);
    inbox.slice(0, reported + 1).forEach((row, i) => expect(row).toEqual({ message_id: `m${i}`, state: "done", turn_id: `r${i}` }));

    // never a partial reply: each reply has all three chunks, and its message is done
    const replies = s.db.prepare("SELECT reply_id, count(*) AS n, group_concat(seq) AS seqs FROM outbox GROUP BY reply_id").all() as { reply_id: string; n: number; seqs: string }[];
    expect(replies.length).toBeGreaterThan(reported);
    for (const r of replies) expect(r.n).toBe(3);
    const done = new Set(inbox.filter((r) => r.state === "done").map((r) => r.turn_id));
    expect(new Set(replies.map((r) => r.reply_id))).toEqual(done);

    // at most the one message in flight is unanswered, and the gateway finds it after the restart
    const open = s.delivery.pendingInbound();
    expect(open.length).toBeLessThanOrEqual(1);
    for (const r of open) expect(r.messageId).toBe(`m${inbox.length - 1}`);

    // history appends are whole: questions and answers in pairs
    const history = s.sessions.history("k").map((m) => m.message.content);
    expect(history.length % 2).toBe(0);
    expect(history.length / 2).toBeGreaterThan(reported);
    expect(history.slice(0, 4)).toEqual(["q0", "a0", "q1", "a1"]);
  });

  it("inside a transaction leaves nothing of it, and the message is answered after the restart", async () => {
    await runAndKill(
      `
const rec = s.delivery.acceptInbound({ channel: "t", chatId: "c", messageId: "m1", sessionKey: "k", senderId: "u", payload: {}, receivedAt: 1 });
s.delivery.markInbound([rec.id], "processing");
s.kv.set("before", "committed");
process.stdout.write("committed\\n");
const hang = { toJSON() { process.stdout.write("inside\\n"); for (;;) {} } };
s.delivery.enqueueReply({ channel: "t", chatId: "c", replyId: "r1", chunks: [{ text: "part one" }, hang], answers: [rec.id], now: 2 });`,
      (line) => line === "inside",
    );
    const s = t.open(); // the dead process's write lock is gone
    expect(s.db.prepare("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
    expect(s.kv.get("before")).toBe("committed");
    expect(s.delivery.pendingOutbound(Number.MAX_SAFE_INTEGER)).toEqual([]); // "part one" was never committed
    expect(s.delivery.sessionsWithPendingInbound()).toEqual(["k"]);
    const [msg] = s.delivery.pendingInbound("k");
    expect(msg).toMatchObject({ messageId: "m1", state: "processing" });
    s.delivery.enqueueReply({ channel: "t", chatId: "c", replyId: "r1", chunks: [{ text: "part one" }, { text: "part two" }], answers: [msg!.id], now: 3 });
    expect(s.delivery.pendingOutbound(Number.MAX_SAFE_INTEGER).map((r) => r.chunk)).toEqual([{ text: "part one" }, { text: "part two" }]);
    expect(s.delivery.pendingInbound()).toEqual([]);
  });
});
