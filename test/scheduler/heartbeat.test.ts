import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ManualClock } from "../../src/core/clock.ts";
import { Heartbeat, heartbeatIntervalMs, type ChatRef, type HeartbeatOptions, type HeartbeatTurn } from "../../src/scheduler/heartbeat.ts";
import { HEARTBEAT_TEMPLATE } from "../../src/scheduler/heartbeat-text.ts";

const MIN = 60_000;
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "sb-heartbeat-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Rig {
  hb: Heartbeat;
  clock: ManualClock;
  turns: HeartbeatTurn[];
  sent: { channel: string; chatId: string; text: string }[];
}

function rig(over: Partial<HeartbeatOptions> & { reply?: string; last?: ChatRef; allowed?: (c: ChatRef) => boolean } = {}): Rig {
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 12, 0));
  const turns: HeartbeatTurn[] = [];
  const sent: Rig["sent"] = [];
  const last = "last" in over ? over.last : { channel: "telegram", chatId: "42" };
  const hb = new Heartbeat({
    enabled: true,
    workspaceDir: dir,
    clock,
    runTurn: async (turn) => {
      turns.push(turn);
      return over.reply ?? "HEARTBEAT_OK";
    },
    lastActiveChat: () => last,
    isAllowed: over.allowed ?? (() => true),
    send: async (channel, chatId, text) => {
      sent.push({ channel, chatId, text });
    },
    ...over,
  });
  return { hb, clock, turns, sent };
}

const writeTasks = (text: string) => writeFile(join(dir, "HEARTBEAT.md"), text);

describe("a beat", () => {
  it("makes no model call without HEARTBEAT.md", async () => {
    const r = rig();
    expect(await r.hb.beat()).toEqual({ outcome: "no_file" });
    expect(r.turns).toHaveLength(0);
  });

  it("makes no model call when the file has no tasks", async () => {
    await writeTasks(`${HEARTBEAT_TEMPLATE}\n## More\n<!-- - later: check mail -->\n- [ ]\n`);
    const r = rig();
    expect((await r.hb.beat()).outcome).toBe("no_tasks");
    expect(r.turns).toHaveLength(0);
    expect(r.sent).toHaveLength(0);
  });

  it("runs the tasks without chat history and delivers a real reply to the last active chat", async () => {
    await writeTasks(`${HEARTBEAT_TEMPLATE}- Check whether the nightly backup finished\n`);
    const r = rig({ reply: "The nightly backup failed at 03:12." });
    const result = await r.hb.beat();
    expect(result).toEqual({ outcome: "delivered", to: { channel: "telegram", chatId: "42" } });
    expect(r.turns).toHaveLength(1);
    expect(r.turns[0]?.noHistory).toBe(true);
    expect(r.turns[0]?.text).toContain("- Check whether the nightly backup finished");
    expect(r.turns[0]?.origin).toMatchObject({ channel: "telegram", chatId: "42", sessionKey: "heartbeat" });
    expect(r.sent).toEqual([{ channel: "telegram", chatId: "42", text: "The nightly backup failed at 03:12." }]);
  });

  it.each(["HEARTBEAT_OK", "heartbeat_ok.", "**HEARTBEAT_OK**", "Nothing new. HEARTBEAT_OK", ""])(
    "never delivers %j",
    async (reply) => {
      await writeTasks("- Check the build\n");
      const r = rig({ reply });
      expect((await r.hb.beat()).outcome).toBe("heartbeat_ok");
      expect(r.turns).toHaveLength(1);
      expect(r.sent).toHaveLength(0);
    },
  );

  it("does not deliver to a chat the access policy refuses", async () => {
    await writeTasks("- Check the build\n");
    const r = rig({ reply: "Build is red", last: { channel: "discord", chatId: "99" }, allowed: (c) => c.channel === "telegram" });
    expect((await r.hb.beat()).outcome).toBe("no_target");
    expect(r.sent).toHaveLength(0);
    expect(r.turns[0]?.origin.channel).toBe("heartbeat");
  });

  it("does not deliver when no chat was ever active", async () => {
    await writeTasks("- Check the build\n");
    const r = rig({ reply: "Build is red", last: undefined });
    expect((await r.hb.beat()).outcome).toBe("no_target");
    expect(r.sent).toHaveLength(0);
  });

  it("reports a failing turn and delivers nothing", async () => {
    await writeTasks("- Check the build\n");
    const r = rig({
      runTurn: async () => {
        throw new Error("all candidates failed");
      },
    });
    expect(await r.hb.beat()).toEqual({ outcome: "error", error: "all candidates failed" });
    expect(r.sent).toHaveLength(0);
  });

  it("respects active hours", async () => {
    await writeTasks("- Check the build\n");
    // 12:00 UTC is 21:00 in Tokyo
    const r = rig({ reply: "Build is red", activeHours: { start: "08:00", end: "20:00", timezone: "Asia/Tokyo" } });
    expect((await r.hb.beat()).outcome).toBe("outside_active_hours");
    expect(r.turns).toHaveLength(0);
    r.clock.set(Date.UTC(2026, 0, 2, 1, 0)); // 10:00 in Tokyo
    expect((await r.hb.beat()).outcome).toBe("delivered");
    expect(r.turns).toHaveLength(1);
  });

  it("refuses a malformed active-hours window at construction", () => {
    expect(() => rig({ activeHours: { start: "8am", end: "20:00" } })).toThrow(/start must be "HH:MM"/);
  });
});

describe("the interval", () => {
  it("defaults to 30 minutes and never goes under 5", () => {
    expect(heartbeatIntervalMs(undefined)).toBe(30 * MIN);
    expect(heartbeatIntervalMs(1)).toBe(5 * MIN);
    expect(heartbeatIntervalMs(45)).toBe(45 * MIN);
  });

  it("beats on the clock, at most once per interval of at least 5 minutes", async () => {
    await writeTasks("- Check the build\n");
    const r = rig({ intervalMinutes: 1, reply: "red" });
    expect(r.hb.intervalMs).toBe(5 * MIN);
    r.hb.start();
    r.clock.advance(1 * MIN);
    await new Promise((res) => setTimeout(res, 20));
    expect(r.turns).toHaveLength(0);
    r.clock.advance(4 * MIN);
    await vi.waitFor(() => expect(r.turns).toHaveLength(1));
    await vi.waitFor(() => expect(r.sent).toHaveLength(1));
    r.clock.advance(5 * MIN);
    await vi.waitFor(() => expect(r.turns).toHaveLength(2));
    await r.hb.stop();
    r.clock.advance(60 * MIN);
    await new Promise((res) => setTimeout(res, 20));
    expect(r.turns).toHaveLength(2);
  });

  it("does nothing when disabled", async () => {
    await writeTasks("- Check the build\n");
    const r = rig({ enabled: false });
    r.hb.start();
    r.clock.advance(120 * MIN);
    await new Promise((res) => setTimeout(res, 20));
    expect(r.turns).toHaveLength(0);
    await r.hb.stop();
  });
});
