// Key/value, tool journal, channel cursors, transactions and retention: the
// same behaviour on SQLite and PostgreSQL.
import { expect, it } from "vitest";
import { pruneBackend } from "../../../src/store/backend.ts";
import { contract } from "./harness.ts";

const DAY = 24 * 60 * 60_000;

contract("kv, journal, cursors", (h) => {
  it("kv keeps JSON values, overwrites, deletes, and treats undefined as delete", async () => {
    const value = { chat: { channel: "telegram", chatId: "42" }, list: [1, "two", null, true], nested: { "key order": ["z", "a"] } };
    await h.store.kv.set("last_active_chat", value, 5);
    expect(await h.store.kv.get("last_active_chat")).toEqual(value);
    expect(await (await h.another()).kv.get("last_active_chat")).toEqual(value);
    await h.store.kv.set("n", 0);
    expect(await h.store.kv.get<number>("n")).toBe(0);
    await h.store.kv.set("n", "now a string");
    expect(await h.store.kv.get("n")).toBe("now a string");
    await h.store.kv.set("n", undefined);
    expect(await h.store.kv.get("n")).toBeUndefined();
    expect(await h.store.kv.delete("last_active_chat")).toBe(true);
    expect(await h.store.kv.delete("last_active_chat")).toBe(false);
    expect(await h.store.kv.get("missing")).toBeUndefined();
  });

  it("kv lists the keys under a prefix with their values, by key, up to a limit", async () => {
    for (const [k, v] of [["session_model:b", "fast"], ["session_model:a", "smart"], ["session_model:c", 3], ["session_modelz", "x"], ["session_model", "y"], ["last_active_chat", {}]] as const) {
      await h.store.kv.set(k, v, 1);
    }
    expect(await h.store.kv.entries!("session_model:", 10)).toEqual([["session_model:a", "smart"], ["session_model:b", "fast"], ["session_model:c", 3]]);
    expect(await h.store.kv.entries!("session_model:", 2)).toEqual([["session_model:a", "smart"], ["session_model:b", "fast"]]);
    expect(await h.store.kv.entries!("nothing:", 10)).toEqual([]);
    await expect(h.store.kv.entries!("", 10)).rejects.toThrow(/prefix/);
  });

  it("the journal records a call once: a re-run gets 'started', then the recorded result", async () => {
    expect(await h.store.journal.begin("turn1", "call-a", "send_message", 10)).toBeUndefined();
    expect(await h.store.journal.begin("turn1", "call-a", "send_message", 11)).toEqual({ state: "started" });
    await h.store.journal.finish("turn1", "call-a", { sent: true, id: "m9" });
    expect(await (await h.another()).journal.begin("turn1", "call-a", "send_message", 12)).toEqual({ state: "done", result: { sent: true, id: "m9" } });
    expect(await h.store.journal.begin("turn2", "call-a", "send_message", 13)).toBeUndefined();
    expect(await h.store.journal.prune(12)).toBe(1);
    expect(await h.store.journal.begin("turn1", "call-a", "send_message", 14)).toBeUndefined();
  });

  it("two connections beginning the same call: exactly one runs it", async () => {
    const other = await h.another();
    const got = await Promise.all([h.store.journal.begin("t", "k", "exec", 1), other.journal.begin("t", "k", "exec", 1)]);
    expect(got.filter((g) => g === undefined)).toHaveLength(1);
    expect(got.filter((g) => g?.state === "started")).toHaveLength(1);
  });

  it("cursors are kept per channel and chat, and overwritten", async () => {
    await h.store.cursors.set("discord", "chan-2", "900", 1);
    await h.store.cursors.set("discord", "chan-1", "100", 1);
    await h.store.cursors.set("slack", "chan-1", "5", 1);
    await h.store.cursors.set("discord", "chan-1", "150", 2);
    expect(await h.store.cursors.get("discord", "chan-1")).toBe("150");
    expect(await h.store.cursors.get("discord", "nope")).toBeUndefined();
    expect(await h.store.cursors.list("discord")).toEqual([
      { scope: "chan-1", cursor: "150" },
      { scope: "chan-2", cursor: "900" },
    ]);
  });

  it("a transaction commits every store's writes together, or none of them", async () => {
    await h.store.transaction(async (tx) => {
      await tx.kv.set("a", 1, 1);
      await tx.cursors.set("x", "y", "z", 1);
      await tx.sessions.append("s", [{ role: "user", content: "hi" }], 1);
    });
    expect(await h.store.kv.get("a")).toBe(1);
    await expect(
      h.store.transaction(async (tx) => {
        await tx.kv.set("a", 2, 2);
        await tx.cursors.set("x", "y", "changed", 2);
        throw new Error("no");
      }),
    ).rejects.toThrow("no");
    expect(await h.store.kv.get("a")).toBe(1);
    expect(await h.store.cursors.get("x", "y")).toBe("z");
    // a store method that uses its own transaction nests inside
    await h.store.transaction(async (tx) => {
      await tx.pairing.requestCode({ channel: "c", senderId: "s", chatId: "1" }, 1, 1000);
      expect(await tx.pairing.listRequests(2)).toHaveLength(1);
    });
  });

  it("a write from outside a transaction is never swept into it: the transaction rolls back, the outside write stays", async () => {
    let outside: Promise<void> | undefined;
    await expect(
      h.store.transaction(async (tx) => {
        await tx.kv.set("inside", 1, 1);
        outside = h.store.kv.set("outside", 1, 1); // another caller, not part of this transaction
        await new Promise((resolve) => setImmediate(resolve));
        throw new Error("roll back");
      }),
    ).rejects.toThrow("roll back");
    await outside;
    expect(await h.store.kv.get("inside")).toBeUndefined();
    expect(await h.store.kv.get("outside")).toBe(1);
  });

  it("retention prunes answered messages and journaled calls older than the period, together", async () => {
    const now = 100 * DAY;
    const old = (await h.store.delivery.acceptInbound({ channel: "t", chatId: "c", messageId: "1", sessionKey: "s", senderId: "u", payload: {}, receivedAt: now - 10 * DAY }))!;
    await h.store.delivery.markInbound([old.id], "done", { turnId: "r" });
    await h.store.journal.begin("r", "k", "exec", now - 10 * DAY);
    await h.store.journal.begin("r2", "k", "exec", now - DAY);
    expect(await pruneBackend(h.store, 7, now)).toEqual({ messages: 1, toolCalls: 1 });
    await expect(pruneBackend(h.store, 0, now)).rejects.toThrow(RangeError);
  });

  it("probes a write and reports itself healthy", async () => {
    await h.store.probe();
    expect(h.store.health.snapshot().state).toBe("ok");
    expect(h.store.kind).toBe(h.kind);
    expect(await h.store.kv.get("store_probe")).toBeUndefined();
  });
});
