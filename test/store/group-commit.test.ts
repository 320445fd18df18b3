// Inbound messages (and transactions) handed to the SQLite backend together
// share one COMMIT.
// What must hold: each caller hears "stored" only once its row is durable
// (another connection sees it); a message that cannot be stored fails
// alone; a fault that ends the transaction fails the whole group and
// stores none of it; a kill -9 in the middle of a group, or between its
// COMMIT and the platform's acknowledgement, loses nothing and stores
// nothing twice once the platform delivers the unacknowledged messages again.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { describe, expect, it } from "vitest";
import { sqliteBackend } from "../../src/store/sqlite-backend.ts";
import type { InboundRecord, Store } from "../../src/store/index.ts";
import { useTempDb } from "./helpers.ts";
import { runAndKill } from "./kill-child.ts";

const t = useTempDb();
type Inbound = Omit<InboundRecord, "id" | "state" | "turnId" | "error">;
const msg = (id: string, payload: unknown = { text: id }): Inbound => ({ channel: "t", chatId: "c", messageId: id, sessionKey: "k", senderId: "u", payload, receivedAt: 1 });

/** every BEGIN/COMMIT/ROLLBACK the store's connection runs, in order */
function transactions(s: Store): string[] {
  const seen: string[] = [];
  const exec = s.db.exec.bind(s.db);
  s.db.exec = (sql: string) => {
    if (/^(BEGIN|COMMIT|ROLLBACK)/i.test(sql.trim())) seen.push(sql.trim());
    return exec(sql);
  };
  return seen;
}

/** a store, its backend, the transactions it runs, and a second (read-only) connection, as another process */
function watched() {
  const s = t.open();
  return { s, seen: transactions(s), backend: sqliteBackend(s), reader: new DatabaseSync(t.file, { readOnly: true }) };
}

const stored = (s: Store) => (s.db.prepare("SELECT message_id FROM inbox ORDER BY id").all() as { message_id: string }[]).map((r) => r.message_id);

describe("inbound group commit", () => {
  it("stores messages handed in together in one transaction, in order, and answers each only once it is committed", async () => {
    const { s, seen, backend, reader } = watched();
    const visible: number[] = [];
    const ids = ["m1", "m2", "m3", "m4", "m5"];
    const rows = await Promise.all(
      ids.map((id) =>
        backend.delivery.acceptInbound(msg(id)).then((r) => {
          // the moment the caller hears of it, another connection (another process) sees the row
          visible.push((reader.prepare("SELECT count(*) AS n FROM inbox WHERE message_id = ?").get(id) as { n: number }).n);
          return r;
        }),
      ),
    );
    reader.close();
    expect(seen).toEqual(["BEGIN IMMEDIATE", "COMMIT"]);
    expect(visible).toEqual([1, 1, 1, 1, 1]);
    expect(rows.map((r) => r?.messageId)).toEqual(ids);
    expect(rows.map((r) => r!.id)).toEqual([...rows.map((r) => r!.id)].sort((a, b) => a - b));
    expect(rows.every((r) => r!.sessionExisted === false)).toBe(true);
    expect(stored(s)).toEqual(ids);
  });

  it("stores a lone message with its insert alone (no BEGIN/COMMIT), and a duplicate as nothing", async () => {
    const s = t.open();
    const seen = transactions(s);
    const backend = sqliteBackend(s);
    expect(await backend.delivery.acceptInbound(msg("m1"))).toMatchObject({ messageId: "m1", state: "pending" });
    const [again, other] = await Promise.all([backend.delivery.acceptInbound(msg("m1")), backend.delivery.acceptInbound(msg("m2"))]);
    expect(again).toBeUndefined();
    expect(other).toMatchObject({ messageId: "m2" });
    expect(seen).toEqual(["BEGIN IMMEDIATE", "COMMIT"]);
    expect(stored(s)).toEqual(["m1", "m2"]);
  });

  it("fails only the message that cannot be stored; the rest of its group commits", async () => {
    const s = t.open();
    const backend = sqliteBackend(s);
    const results = await Promise.allSettled([
      backend.delivery.acceptInbound(msg("m1")),
      backend.delivery.acceptInbound(msg("bad", { size: 10n })), // a BigInt: not JSON
      backend.delivery.acceptInbound(msg("m3")),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(stored(s)).toEqual(["m1", "m3"]);
  });

  it("fails every message of a group whose transaction a fault ended, and stores none of them", async () => {
    const s = t.open();
    // as a full disk or an I/O error does, this rolls the whole transaction back
    s.db.exec("CREATE TEMP TRIGGER fault BEFORE INSERT ON inbox WHEN NEW.message_id = 'm2' BEGIN SELECT RAISE(ROLLBACK, 'database or disk is full'); END");
    const backend = sqliteBackend(s);
    const results = await Promise.allSettled(["m1", "m2", "m3"].map((id) => backend.delivery.acceptInbound(msg(id))));
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected", "rejected"]);
    expect(stored(s)).toEqual([]);
    expect(s.db.isTransaction).toBe(false);
    // the platform delivers them again once the store works
    s.db.exec("DROP TRIGGER fault");
    await Promise.all(["m1", "m2", "m3"].map((id) => backend.delivery.acceptInbound(msg(id))));
    expect(stored(s)).toEqual(["m1", "m2", "m3"]);
  });

  it("waits for a transaction that is open, then commits the group after it", async () => {
    const s = t.open();
    const backend = sqliteBackend(s);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const tx = backend.transaction(async (inner) => {
      await inner.kv.set("in-tx", 1);
      await held;
    });
    const group = Promise.all(["m1", "m2"].map((id) => backend.delivery.acceptInbound(msg(id))));
    await new Promise((r) => setImmediate(r));
    expect(stored(s)).toEqual([]); // not inside the other caller's transaction
    release();
    await tx;
    await group;
    expect(stored(s)).toEqual(["m1", "m2"]);
  });
});

describe("transactions asked for together", () => {
  it("share one COMMIT; a body that throws is rolled back alone; each caller hears of its result after the COMMIT", async () => {
    const { s, seen, backend, reader } = watched();
    const visible = (key: string) => (reader.prepare("SELECT count(*) AS n FROM messages WHERE session_key = ?").get(key) as { n: number }).n;
    const turn = (key: string, fail = false) =>
      backend.transaction(async (tx) => {
        await tx.sessions.saveTurn(key, { messages: [{ role: "user", content: "q" }, { role: "assistant", content: "a" }], now: 1 });
        await tx.kv.set(`last:${key}`, key);
        if (fail) throw new Error(`turn ${key} was stopped`);
        return key;
      });
    const results = await Promise.allSettled(
      ["a", "b", "c"].map((key) => turn(key, key === "b").then((out) => [out, visible(key)] as const)),
    );
    reader.close();
    expect(results.map((r) => (r.status === "fulfilled" ? r.value : (r.reason as Error).message))).toEqual([["a", 2], "turn b was stopped", ["c", 2]]);
    expect(seen.filter((x) => x === "COMMIT")).toHaveLength(1);
    expect(await backend.sessions.history("b")).toEqual([]); // all of b or nothing of it
    expect(await backend.kv.get("last:b")).toBeUndefined();
    expect((await backend.sessions.history("a")).map((m) => m.message.content)).toEqual(["q", "a"]);
    expect(await backend.kv.get("last:c")).toBe("c");
  });

  it("the first body of a group needs no savepoint: when it throws, it alone is undone and the rest of the group commits", async () => {
    const s = t.open();
    const seen: string[] = [];
    const exec = s.db.exec.bind(s.db);
    s.db.exec = (sql: string) => {
      seen.push(sql.trim().split(" ")[0]!);
      return exec(sql);
    };
    const backend = sqliteBackend(s);
    const turn = (key: string, fail = false) =>
      backend.transaction(async (tx) => {
        await tx.sessions.saveTurn(key, { messages: [{ role: "user", content: key }], now: 1 });
        await tx.kv.set(`last:${key}`, key);
        if (fail) throw new Error(`turn ${key} was stopped`);
        return key;
      });
    // a group of three whose first body fails after writing
    const failedFirst = await Promise.allSettled([turn("a", true), turn("b"), turn("c")]);
    expect(failedFirst.map((r) => r.status)).toEqual(["rejected", "fulfilled", "fulfilled"]);
    expect(await backend.kv.get("last:a")).toBeUndefined();
    expect(await backend.sessions.getSession("a")).toBeUndefined();
    expect((await backend.sessions.history("b")).map((m) => m.message.content)).toEqual(["b"]);
    expect(await backend.kv.get("last:c")).toBe("c");
    // the failure rolled back and began anew; "b" was then the first body kept, "c" got a savepoint
    expect(seen).toEqual(["BEGIN", "ROLLBACK", "BEGIN", "SAVEPOINT", "COMMIT"]);
    // all three succeed: two savepoints, not three, and COMMIT releases them
    seen.length = 0;
    expect(await Promise.all([turn("d"), turn("e"), turn("f")])).toEqual(["d", "e", "f"]);
    expect(seen).toEqual(["BEGIN", "SAVEPOINT", "SAVEPOINT", "COMMIT"]);
    // a body in the middle fails: rolled back to its savepoint, which the next body then uses
    seen.length = 0;
    const middle = await Promise.allSettled([turn("g"), turn("h", true), turn("i"), turn("j")]);
    expect(middle.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled", "fulfilled"]);
    expect(seen).toEqual(["BEGIN", "SAVEPOINT", "ROLLBACK", "SAVEPOINT", "COMMIT"]);
    expect(await backend.sessions.getSession("h")).toBeUndefined();
    expect(await backend.kv.get("last:h")).toBeUndefined();
    for (const key of ["g", "i", "j"]) expect((await backend.sessions.history(key)).map((m) => m.message.content)).toEqual([key]);
    expect(s.db.isTransaction).toBe(false);
  });

  it("a body that fails after a message of its group was stored is rolled back to its own savepoint, keeping the message", async () => {
    const { s, seen, backend } = watched();
    const results = await Promise.allSettled([
      backend.delivery.acceptInbound(msg("m1")),
      backend.transaction(async (tx) => {
        await tx.kv.set("y", 1);
        throw new Error("stopped");
      }),
      backend.transaction(async (tx) => tx.kv.set("z", 2)),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(stored(s)).toEqual(["m1"]);
    expect(await backend.kv.get("y")).toBeUndefined();
    expect(await backend.kv.get("z")).toBe(2);
    // the savepoint it was rolled back to then served the last body: one transaction, one commit
    expect(seen).toEqual(["BEGIN IMMEDIATE", "ROLLBACK TO sb_group", "COMMIT"]);
  });

  it("an outbox page's sent mark shares the COMMIT of what is written at that moment, and is durable when it resolves", async () => {
    const { s, seen, backend, reader } = watched();
    const [chunk] = await backend.delivery.enqueueReply({ channel: "t", chatId: "c", replyId: "r1", chunks: ["hi"], answers: [], now: 1 });
    seen.length = 0;
    const state = () => (reader.prepare("SELECT state FROM outbox WHERE id = ?").get(chunk!.id) as { state: string }).state;
    await Promise.all([
      backend.delivery.markSent([{ id: chunk!.id, platformMessageId: "p1" }], 2).then(() => expect(state()).toBe("sent")),
      backend.delivery.acceptInbound(msg("m1")),
      backend.transaction(async (tx) => tx.kv.set("x", 1)),
    ]);
    reader.close();
    expect(seen).toEqual(["BEGIN IMMEDIATE", "COMMIT"]);
    expect(await backend.delivery.pendingOutbound(10)).toEqual([]);
  });

  it("a transaction alone is one BEGIN … COMMIT with no savepoint, and fails whole", async () => {
    const s = t.open();
    const seen = transactions(s);
    const backend = sqliteBackend(s);
    await expect(
      backend.transaction(async (tx) => {
        await tx.kv.set("x", 1);
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(await backend.kv.get("x")).toBeUndefined();
    expect(seen).toEqual(["BEGIN IMMEDIATE", "ROLLBACK"]);
  });
});

describe("inbound group commit and kill -9", () => {
  const backendUrl = new URL("../../src/store/sqlite-backend.ts", import.meta.url).href;
  /** a child that hands in 50 messages at once: `hangAt` hangs inside the group (before COMMIT); otherwise it reports the group stored and waits (before any acknowledgement) */
  function child(hangAt?: number): string {
    const script = join(t.dir, "group.mts");
    writeFileSync(
      script,
      `import { openSqliteBackend } from ${JSON.stringify(backendUrl)};
const b = openSqliteBackend(${JSON.stringify(t.file)});
const hang = { toJSON() { process.stdout.write("inside\\n"); for (;;) {} } };
const all = Array.from({ length: 50 }, (_, i) => b.delivery.acceptInbound({ channel: "t", chatId: "c", messageId: "m" + i, sessionKey: "k", senderId: "u",
  payload: i === ${hangAt ?? -1} ? hang : { i }, receivedAt: i }));
await Promise.all(all);
process.stdout.write("stored\\n");
setInterval(() => {}, 1000);
`,
    );
    return script;
  }

  /** the platform's redelivery of every unacknowledged message, after the restart */
  async function redeliver(): Promise<(InboundRecord | undefined)[]> {
    const backend = sqliteBackend(t.open());
    return Promise.all(Array.from({ length: 50 }, (_, i) => backend.delivery.acceptInbound(msg(`m${i}`, { i }))));
  }

  it("killed between the group's COMMIT and the acknowledgement: every message is there once, and the redelivery stores nothing", async () => {
    t.open().close(); // the schema exists before the child starts
    await runAndKill(child(), (line) => line === "stored");
    const again = await redeliver();
    expect(again.every((r) => r === undefined)).toBe(true);
    const s = t.open();
    expect(stored(s)).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`));
  });

  it("killed inside the group, before its COMMIT: none of it is there, and the redelivery stores each message once", async () => {
    t.open().close();
    await runAndKill(child(30), (line) => line === "inside");
    const s = t.open();
    expect(s.db.prepare("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
    expect(stored(s)).toEqual([]);
    const again = await redeliver();
    expect(again.every((r) => r !== undefined)).toBe(true);
    expect(stored(s)).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`));
  });
});
