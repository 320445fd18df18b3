// The store's share of a burst, without the gateway around it: the SQLite
// calls the gateway makes per message (inbox insert in a poll's group, the
// turn's transaction: session upsert, history, reply chunks, inbox mark,
// heartbeat target; an outbox page and its sent mark), as the gateway groups
// them, on a fresh database file, for SWITCHBOARD_BENCH_MESSAGES messages
// (default 50,000). It prints the CPU per message for each band of 5,000, so
// a cost that grows with the tables shows, and, preloaded with
// bench/count-sql.ts and SWITCHBOARD_BENCH_SQL_TIME=<file>, every statement's
// time per band (node bench/sql-time.ts <file>.1.json <file>.2.json):
//   SWITCHBOARD_BENCH_SQL_FILE=/tmp/x.json SWITCHBOARD_BENCH_SQL_TIME=/tmp/t \
//     node --import ./bench/count-sql.ts bench/store-growth.ts
// Every chat is new, as in the gateway bench. Compare runs of two builds on
// the same machine state; the figures are for reading, nothing asserts them.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { newReplyId } from "../src/store/reply-id.ts";
import { openSqliteBackend } from "../src/store/sqlite-backend.ts";
import type { InboundRecord } from "../src/store/types.ts";

const total = Number(process.env.SWITCHBOARD_BENCH_MESSAGES ?? 50_000);
/** a Telegram poll hands over this many */
const POLL = 100;
/** turns that finish together and share a commit (the gateway's 0.24 commits per message) */
const TURNS_TOGETHER = 4;
const BAND = 5_000;
const FIRST_USER = 10_000_000;

const home = mkdtempSync(join(tmpdir(), "sb-store-growth-"));
const store = openSqliteBackend(join(home, "switchboard.db"), { probeEveryMs: 0 });
const tick = () => new Promise<void>((r) => setImmediate(r));

/** bytes this process has read and written through system calls (SQLite's page reads and WAL writes): counts, not times */
const io = (): { read: number; written: number } => {
  const text = readFileSync("/proc/self/io", "utf8");
  const field = (name: string) => Number(new RegExp(`^${name}: (\\d+)`, "m").exec(text)?.[1] ?? NaN);
  return { read: field("rchar"), written: field("wchar") };
};
let io0 = io();
let cpu0 = process.cpuUsage();
let t0 = performance.now();
const bands: string[] = [];
for (let first = 0; first < total; first += POLL) {
  const n = Math.min(POLL, total - first);
  const now = Date.now();
  const stored = await Promise.all(
    Array.from({ length: n }, (_, i) => {
      const user = String(FIRST_USER + first + i);
      return store.delivery.acceptInbound({
        channel: "telegram",
        chatId: user,
        messageId: String(first + i + 1),
        sessionKey: `telegram:dm:${user}`,
        senderId: user,
        payload: { text: `message ${first + i}`, chatType: "direct", senderName: `User ${user}` },
        receivedAt: now,
      });
    }),
  );
  const rows = stored.filter((r): r is InboundRecord => r !== undefined);
  for (let k = 0; k < rows.length; k += TURNS_TOGETHER) {
    await Promise.all(rows.slice(k, k + TURNS_TOGETHER).map((row) => turn(row)));
    await tick();
    const page = await store.delivery.pendingOutbound(Date.now(), "telegram", 100);
    if (page.length) await store.delivery.markSent(page.map((c) => ({ id: c.id, platformMessageId: String(c.id) })), Date.now());
  }
  const done = first + n;
  if (done % BAND === 0 || done === total) {
    const cpu = process.cpuUsage(cpu0);
    const ms = (cpu.user + cpu.system) / 1000;
    const bytes = io();
    const kb = (n: number) => (n / BAND / 1024).toFixed(1).padStart(5);
    bands.push(
      `${String(done - BAND).padStart(6)}–${String(done).padEnd(6)} ${((ms * 1000) / BAND).toFixed(1).padStart(6)} µs CPU per message (${(((performance.now() - t0) * 1000) / BAND).toFixed(1)} µs wall), ` +
        `read ${kb(bytes.read - io0.read)} KB, written ${kb(bytes.written - io0.written)} KB per message`,
    );
    console.log(bands[bands.length - 1]);
    io0 = bytes;
    cpu0 = process.cpuUsage();
    t0 = performance.now();
  }
}

async function turn(row: InboundRecord): Promise<void> {
  const now = Date.now();
  await store.transaction(async (tx) => {
    await tx.sessions.saveTurn(row.sessionKey, {
      messages: [
        { role: "user", content: (row.payload as { text: string }).text },
        { role: "assistant", content: "ok" },
      ],
      now,
      channel: row.channel,
      chatId: row.chatId,
      promptTokens: 1200,
      model: "m",
    });
    await tx.delivery.enqueueReply({ channel: row.channel, chatId: row.chatId, replyId: newReplyId(now), chunks: [{ text: "ok", format: "markdown", inReplyTo: row.messageId }], answers: [row.id], now });
    await tx.kv.set("last_active_chat", { channel: row.channel, chatId: row.chatId }, now);
  });
}

// the counter's totals (when preloaded): its SIGUSR2 handler writes them
if (process.env.SWITCHBOARD_BENCH_SQL_FILE) {
  process.kill(process.pid, "SIGUSR2");
  await new Promise((r) => setTimeout(r, 100));
}
await store.close();
rmSync(home, { recursive: true, force: true });
