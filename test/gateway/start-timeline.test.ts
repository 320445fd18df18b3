// The account of a gateway's start (src/gateway/start-timeline.ts) that the
// "gateway ready" line and /status carry.
import { describe, expect, it } from "vitest";
import { describeStart, StartTimeline } from "../../src/gateway/start-timeline.ts";

describe("the start timeline", () => {
  it("keeps each step in order with its time and CPU since the process started, and each channel's online time", () => {
    const t = new StartTimeline();
    t.mark("config read");
    t.mark("http listening");
    expect(t.report()).toBeUndefined(); // nothing to show before ready
    const onlineAt = Date.now() - 5;
    const r = t.ready([
      { id: "telegram", state: "online", since: onlineAt },
      { id: "discord", state: "connecting", since: onlineAt },
    ]);
    expect(t.report()).toBe(r);
    expect(r.steps.map((s) => s.step)).toEqual(["config read", "http listening"]);
    expect(r.steps[0]!.atMs).toBeLessThanOrEqual(r.steps[1]!.atMs);
    expect(r.steps[1]!.atMs).toBeLessThanOrEqual(r.readyMs);
    expect(r.readyMs).toBeGreaterThan(0);
    expect(r.cpuMs).toBeGreaterThan(0);
    // a channel not online at ready has no online time
    expect(Object.keys(r.channelsOnlineMs)).toEqual(["telegram"]);
    expect(r.channelsOnlineMs.telegram).toBeLessThanOrEqual(r.readyMs);
    expect(r.channelsOnlineMs.telegram).toBeGreaterThanOrEqual(r.readyMs - 1000);
  });

  it("reads as one line, channels by the time they came online", () => {
    const line = describeStart({
      readyMs: 600,
      cpuMs: 480,
      steps: [{ step: "config read", atMs: 152, cpuMs: 140 }],
      channelsOnlineMs: { discord: 590, telegram: 300 },
    });
    expect(line).toBe("config read 152 ms (CPU 140), telegram online 300 ms, discord online 590 ms, ready 600 ms (CPU 480)");
  });
});
