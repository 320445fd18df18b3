import { describe, expect, it } from "vitest";
import { restart, useTempDb } from "./helpers.ts";

const t = useTempDb();

describe("kv", () => {
  it("stores JSON values that survive a restart", () => {
    let s = t.open();
    expect(s.kv.get("last_active_chat")).toBeUndefined();
    s.kv.set("last_active_chat", { channel: "telegram", chatId: "1" }, 10);
    s.kv.set("counter", 3);
    s.kv.set("flag", false);
    s.kv.set("nothing", null);
    s = restart(t, s);
    expect(s.kv.get<{ channel: string; chatId: string }>("last_active_chat")).toEqual({ channel: "telegram", chatId: "1" });
    expect(s.kv.get("counter")).toBe(3);
    expect(s.kv.get("flag")).toBe(false);
    expect(s.kv.get("nothing")).toBeNull();
    expect(s.db.prepare("SELECT updated_at FROM kv WHERE key = 'last_active_chat'").get()).toEqual({ updated_at: 10 });
  });

  it("overwrites, deletes, and treats undefined as delete", () => {
    const s = t.open();
    s.kv.set("k", "one");
    s.kv.set("k", ["two"]);
    expect(s.kv.get("k")).toEqual(["two"]);
    expect(s.kv.delete("k")).toBe(true);
    expect(s.kv.delete("k")).toBe(false);
    expect(s.kv.get("k")).toBeUndefined();
    s.kv.set("k", 1);
    s.kv.set("k", undefined);
    expect(s.kv.get("k")).toBeUndefined();
  });
});
