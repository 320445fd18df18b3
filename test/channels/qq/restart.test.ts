// QQ across restarts: the gateway session and the seq of the last stored
// message are kept in the channel's cursor store, so the next run RESUMEs and
// QQ replays what arrived while the gateway was down or was pushed just
// before a crash; a session QQ no longer knows is given up for a fresh
// IDENTIFY without failing the start (what it held is gone, README).
import { afterEach, describe, expect, it } from "vitest";
import { SESSION_SCOPE } from "../../../channels/qq/session.ts";
import { startHarness, type Harness } from "./harness.ts";

let h: Harness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

const texts = (hh: Harness) => hh.received.map((m) => m.text);

describe("QQ across restarts", () => {
  it("answers what was written while the gateway was down: the next start resumes and QQ replays it", async () => {
    h = await startHarness();
    await h.start();
    h.fake.c2cMessage({ openid: "U1", text: "before" });
    await h.waitForMessages(1);
    await h.adapter.stop();
    h.fake.c2cMessage({ openid: "U1", text: "while down 1" });
    h.fake.c2cMessage({ openid: "U2", text: "while down 2" });
    await h.restart();
    await h.waitForMessages(3);
    expect(texts(h)).toEqual(["before", "while down 1", "while down 2"]);
    expect(h.fake.identifies).toHaveLength(1);
    expect(h.fake.resumes).toEqual([{ session_id: h.fake.gateway.sessionId, seq: 2, replayed: 2 }]);
  });

  it("gets a message again after a crash before it was stored, and not one that was stored", async () => {
    h = await startHarness();
    await h.start();
    h.fake.c2cMessage({ openid: "U1", text: "stored" });
    await h.waitForMessages(1);
    // the process dies while the gateway is storing the next message: that emit never returns
    const stuck = new Promise<void>(() => undefined);
    h.onEmit = async (m) => {
      if (m.text === "lost in the crash") await stuck;
    };
    h.fake.c2cMessage({ openid: "U1", text: "lost in the crash" });
    await h.fake.waitFor(() => JSON.parse(h!.cursors.get(SESSION_SCOPE)!).seq === 2, "the stored message's seq saved");
    h.onEmit = async () => undefined;
    await h.restart();
    await h.waitForMessages(2);
    expect(texts(h)).toEqual(["stored", "lost in the crash"]);
    expect(h.fake.resumes[0]).toMatchObject({ seq: 2, replayed: 1 });
  });

  it("identifies afresh when QQ no longer knows the saved session, and the start still succeeds", async () => {
    h = await startHarness({ resumeWindowMs: 0 });
    await h.start();
    const first = h.fake.gateway.sessionId;
    await h.adapter.stop();
    h.fake.c2cMessage({ openid: "U1", text: "gone with the old session" });
    await h.restart();
    expect(h.fake.gateway.invalidResumes).toBe(1);
    expect(h.fake.identifies).toHaveLength(2);
    expect(h.fake.gateway.sessionId).not.toBe(first);
    expect(JSON.parse(h.cursors.get(SESSION_SCOPE)!).session_id).toBe(h.fake.gateway.sessionId);
    // the new session works; what QQ kept for the old one cannot be recovered
    h.fake.c2cMessage({ openid: "U1", text: "after" });
    await h.waitForMessages(1);
    expect(texts(h)).toEqual(["after"]);
  });

  it("does not try a saved session older than an hour", async () => {
    h = await startHarness();
    h.cursors.set(SESSION_SCOPE, JSON.stringify({ session_id: "stale", seq: 9, at: Date.now() - 2 * 60 * 60_000 }));
    await h.start();
    expect(h.fake.resumes).toHaveLength(0);
    expect(h.fake.gateway.invalidResumes).toBe(0);
    expect(h.fake.identifies).toHaveLength(1);
  });
});
