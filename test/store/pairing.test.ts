import { describe, expect, it } from "vitest";
import { newPairingCode, normalizePairingCode, PAIRING_ALPHABET, PAIRING_CODE_LENGTH } from "../../src/store/index.ts";
import { restart, useTempDb } from "./helpers.ts";

const t = useTempDb();
const HOUR = 3_600_000;
const eve = { channel: "telegram", senderId: "77", chatId: "77", label: "@eve" };

describe("pairing codes", () => {
  it("are 8 characters without 0, O, 1 or I", () => {
    expect(PAIRING_CODE_LENGTH).toBe(8);
    expect(PAIRING_ALPHABET).not.toMatch(/[0O1I]/);
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const code = newPairingCode();
      expect(code).toMatch(/^[A-HJ-NP-Z2-9]{8}$/);
      seen.add(code);
    }
    expect(seen.size).toBe(2000); // random, not a sequence
  });

  it("normalizes what the owner types", () => {
    expect(normalizePairingCode(" abcd-efgh ")).toBe("ABCDEFGH");
    expect(normalizePairingCode("AB CD EF GH")).toBe("ABCDEFGH");
  });
});

describe("pairing requests", () => {
  it("give a sender one code, reused while it is open, and survive a restart", () => {
    let s = t.open();
    const first = s.pairing.requestCode(eve, 0, HOUR);
    expect(first).toEqual({ ...eve, code: first.code, createdAt: 0, expiresAt: HOUR, isNew: true });
    expect(first.code).toMatch(/^[A-HJ-NP-Z2-9]{8}$/);
    s = restart(t, s);
    const again = s.pairing.requestCode({ channel: "telegram", senderId: "77", chatId: "77" }, HOUR - 1, HOUR);
    // same code, same expiry: writing again does not extend it, and is not news to tell the sender
    expect(again).toEqual({ ...first, isNew: false });
    const { isNew: _, ...stored } = first;
    expect(s.pairing.listRequests(HOUR - 1)).toEqual([stored]);
  });

  it("stay under the per-channel cap: a flood of strangers drops the oldest requests first", () => {
    const s = t.open();
    for (let i = 0; i < 8; i++) s.pairing.requestCode({ channel: "telegram", senderId: `s${i}`, chatId: `s${i}` }, i, HOUR, 3);
    s.pairing.requestCode({ channel: "discord", senderId: "d", chatId: "d" }, 9, HOUR, 3);
    expect(s.pairing.listRequests(10, "telegram").map((r) => r.senderId)).toEqual(["s5", "s6", "s7"]);
    expect(s.pairing.listRequests(10, "discord")).toHaveLength(1);
  });

  it("give different senders, and the same sender on another channel, their own codes", () => {
    const s = t.open();
    const a = s.pairing.requestCode(eve, 0, HOUR);
    const b = s.pairing.requestCode({ ...eve, senderId: "78", chatId: "78" }, 1, HOUR);
    const c = s.pairing.requestCode({ ...eve, channel: "discord" }, 2, HOUR);
    expect(new Set([a.code, b.code, c.code]).size).toBe(3);
    expect(s.pairing.listRequests(3).map((r) => [r.channel, r.senderId])).toEqual([
      ["telegram", "77"],
      ["telegram", "78"],
      ["discord", "77"],
    ]);
    expect(s.pairing.listRequests(3, "discord").map((r) => r.code)).toEqual([c.code]);
  });

  it("expire: the old code stops working, is no longer listed, and the sender gets a new one", () => {
    const s = t.open();
    const old = s.pairing.requestCode(eve, 0, 100);
    expect(s.pairing.listRequests(99)).toHaveLength(1);
    expect(s.pairing.listRequests(100)).toEqual([]);
    expect(s.pairing.approve("telegram", old.code, 100)).toBeUndefined();
    const fresh = s.pairing.requestCode(eve, 150, 100);
    expect(fresh.code).not.toBe(old.code);
    expect(fresh).toMatchObject({ createdAt: 150, expiresAt: 250 });
    expect(s.pairing.approve("telegram", old.code, 160)).toBeUndefined();
    expect(s.pairing.isApproved("telegram", "77")).toBe(false);
  });

  it("are approved by channel and code, in any case, once", () => {
    let s = t.open();
    const req = s.pairing.requestCode(eve, 0, HOUR);
    expect(s.pairing.approve("discord", req.code, 10)).toBeUndefined(); // another channel's code space
    expect(s.pairing.approve("telegram", "ZZZZZZZZ", 10)).toBeUndefined();
    const typed = `${req.code.slice(0, 4).toLowerCase()}-${req.code.slice(4)}`;
    expect(s.pairing.approve("telegram", typed, 10)).toEqual({ channel: "telegram", senderId: "77", label: "@eve", approvedAt: 10 });
    expect(s.pairing.approve("telegram", req.code, 11)).toBeUndefined(); // used up
    expect(s.pairing.listRequests(11)).toEqual([]);
    s = restart(t, s);
    expect(s.pairing.isApproved("telegram", "77")).toBe(true);
    expect(s.pairing.isApproved("discord", "77")).toBe(false);
    expect(s.pairing.listApproved()).toEqual([{ channel: "telegram", senderId: "77", label: "@eve", approvedAt: 10 }]);
  });

  it("revoke removes an approval and reports whether there was one", () => {
    const s = t.open();
    s.pairing.approve("telegram", s.pairing.requestCode(eve, 0, HOUR).code, 1);
    s.pairing.approve("discord", s.pairing.requestCode({ channel: "discord", senderId: "5", chatId: "5" }, 0, HOUR).code, 2);
    expect(s.pairing.listApproved("discord").map((a) => a.senderId)).toEqual(["5"]);
    expect(s.pairing.listApproved().map((a) => a.channel)).toEqual(["discord", "telegram"]);
    expect(s.pairing.revoke("telegram", "77")).toBe(true);
    expect(s.pairing.revoke("telegram", "77")).toBe(false);
    expect(s.pairing.isApproved("telegram", "77")).toBe(false);
    expect(s.pairing.isApproved("discord", "5")).toBe(true);
    // a revoked sender can pair again
    const again = s.pairing.requestCode(eve, 10, HOUR);
    expect(s.pairing.approve("telegram", again.code, 11)).toMatchObject({ senderId: "77" });
  });
});

describe("denying a request", () => {
  it("makes the code useless; the sender may ask again and gets a new code", () => {
    const s = t.open();
    const first = s.pairing.requestCode(eve, 0, HOUR);
    expect(s.pairing.deny("telegram", first.code.toLowerCase())).toBe(true);
    expect(s.pairing.listRequests(1)).toEqual([]);
    expect(s.pairing.approve("telegram", first.code, 1)).toBeUndefined();
    expect(s.pairing.deny("telegram", first.code)).toBe(false);
    const again = s.pairing.requestCode(eve, 2, HOUR);
    expect(again.code).not.toBe(first.code);
  });
});
