// Pairing: the same behaviour on SQLite and PostgreSQL.
import { expect, it } from "vitest";
import { PAIRING_ALPHABET, PAIRING_CODE_LENGTH } from "../../../src/store/pairing.ts";
import { contract } from "./harness.ts";

const TTL = 60_000;
const req = (senderId: string, channel = "telegram") => ({ channel, senderId, chatId: `chat-${senderId}`, label: `@${senderId}` });

contract("pairing", (h) => {
  it("gives a sender one code, reused while it is open, and a new one once it expired", async () => {
    const first = await h.store.pairing.requestCode(req("u1"), 1000, TTL);
    expect(first).toMatchObject({ isNew: true, channel: "telegram", senderId: "u1", chatId: "chat-u1", label: "@u1", createdAt: 1000, expiresAt: 1000 + TTL });
    expect(first.code).toHaveLength(PAIRING_CODE_LENGTH);
    expect([...first.code].every((ch) => PAIRING_ALPHABET.includes(ch))).toBe(true);
    const again = await h.store.pairing.requestCode(req("u1"), 2000, TTL);
    expect(again).toMatchObject({ isNew: false, code: first.code, createdAt: 1000 });
    // through another connection too
    expect((await (await h.another()).pairing.requestCode(req("u1"), 3000, TTL)).code).toBe(first.code);
    const later = await h.store.pairing.requestCode(req("u1"), 1000 + TTL, TTL);
    expect(later.isNew).toBe(true);
    expect(later.code).not.toBe(first.code);
    expect(await h.store.pairing.approve("telegram", first.code, 1000 + TTL)).toBeUndefined();
  });

  it("lists open requests oldest first, by channel, leaving expired ones out", async () => {
    await h.store.pairing.requestCode(req("a"), 1, TTL);
    await h.store.pairing.requestCode(req("b", "discord"), 2, TTL);
    await h.store.pairing.requestCode(req("c"), 3, 10);
    expect((await h.store.pairing.listRequests(5)).map((r) => r.senderId)).toEqual(["a", "b", "c"]);
    expect((await h.store.pairing.listRequests(5, "discord")).map((r) => r.senderId)).toEqual(["b"]);
    expect((await h.store.pairing.listRequests(20)).map((r) => r.senderId)).toEqual(["a", "b"]);
  });

  it("stays under the per-channel cap: a flood of strangers drops the oldest requests first", async () => {
    for (let i = 0; i < 8; i++) await h.store.pairing.requestCode(req(`u${i}`), 100 + i, TTL, 3);
    await h.store.pairing.requestCode(req("other", "discord"), 200, TTL, 3);
    expect((await h.store.pairing.listRequests(300, "telegram")).map((r) => r.senderId)).toEqual(["u5", "u6", "u7"]);
    expect(await h.store.pairing.listRequests(300, "discord")).toHaveLength(1);
  });

  it("the cap holds when two connections take requests at once, and one sender gets one code", async () => {
    const other = await h.another();
    const codes = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? other : h.store).pairing.requestCode(req(`p${i}`), 1000, TTL, 4)));
    expect(new Set(codes.map((c) => c.code)).size).toBe(6);
    expect(await h.store.pairing.listRequests(1000)).toHaveLength(4);
    const same = await Promise.all([h.store.pairing.requestCode(req("twin"), 2000, TTL), other.pairing.requestCode(req("twin"), 2000, TTL)]);
    expect(same[0].code).toBe(same[1].code);
    expect(same.filter((s) => s.isNew)).toHaveLength(1);
  });

  it("approves by channel and code in any case and spacing, once; the request goes away", async () => {
    const r = await h.store.pairing.requestCode(req("u1"), 1000, TTL);
    expect(await h.store.pairing.approve("discord", r.code, 1001)).toBeUndefined();
    const typed = `${r.code.slice(0, 4).toLowerCase()}- ${r.code.slice(4)}`;
    expect(await h.store.pairing.approve("telegram", typed, 1002)).toEqual({ channel: "telegram", senderId: "u1", label: "@u1", approvedAt: 1002 });
    expect(await h.store.pairing.approve("telegram", r.code, 1003)).toBeUndefined();
    expect(await h.store.pairing.isApproved("telegram", "u1")).toBe(true);
    expect(await h.store.pairing.isApproved("discord", "u1")).toBe(false);
    expect(await h.store.pairing.listRequests(1003)).toEqual([]);
  });

  it("lists approvals by channel, revokes them, and deny makes a code useless", async () => {
    for (const [s, ch, at] of [["b", "telegram", 2], ["a", "telegram", 1], ["z", "discord", 3]] as const) {
      const r = await h.store.pairing.requestCode(req(s, ch), at, TTL);
      await h.store.pairing.approve(ch, r.code, at);
    }
    expect((await h.store.pairing.listApproved()).map((a) => `${a.channel}:${a.senderId}`)).toEqual(["discord:z", "telegram:a", "telegram:b"]);
    expect((await h.store.pairing.listApproved("telegram")).map((a) => a.senderId)).toEqual(["a", "b"]);
    expect(await h.store.pairing.revoke("telegram", "a")).toBe(true);
    expect(await h.store.pairing.revoke("telegram", "a")).toBe(false);
    expect(await h.store.pairing.isApproved("telegram", "a")).toBe(false);
    const r = await h.store.pairing.requestCode(req("x"), 10, TTL);
    expect(await h.store.pairing.deny("telegram", r.code.toLowerCase())).toBe(true);
    expect(await h.store.pairing.deny("telegram", r.code)).toBe(false);
    expect(await h.store.pairing.approve("telegram", r.code, 11)).toBeUndefined();
    expect((await h.store.pairing.requestCode(req("x"), 12, TTL)).isNew).toBe(true);
  });
});
