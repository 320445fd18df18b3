import { describe, expect, it } from "vitest";
import { Lanes } from "../../src/agent/lanes.ts";
import { deferred } from "./fake-router.ts";
import { setup } from "./setup.ts";

const tick = () => new Promise((r) => setImmediate(r));

describe("Lanes", () => {
  it("runs one key's tasks one at a time in arrival order, other keys alongside", async () => {
    const lanes = new Lanes();
    const log: string[] = [];
    const gate = deferred();
    const a1 = lanes.run("a", async () => {
      log.push("a1 start");
      await gate.promise;
      log.push("a1 end");
    });
    const a2 = lanes.run("a", async () => void log.push("a2"));
    const b1 = lanes.run("b", async () => void log.push("b1"));
    await b1;
    expect(log).toEqual(["a1 start", "b1"]);
    expect(lanes.queued("a")).toBe(2);
    gate.resolve();
    await Promise.all([a1, a2]);
    expect(log).toEqual(["a1 start", "b1", "a1 end", "a2"]);
    await lanes.idle();
    expect(lanes.busy).toBe(0);
  });

  it("a failing task does not block the lane", async () => {
    const lanes = new Lanes();
    const failed = lanes.run("a", async () => {
      throw new Error("boom");
    });
    const next = lanes.run("a", async () => "next ran");
    await expect(failed).rejects.toThrow("boom");
    await expect(next).resolves.toBe("next ran");
  });
});

describe("agent turns", () => {
  it("of one session run one at a time and keep their order", async () => {
    const { agent, router, sessions, origin } = setup();
    const gate = deferred();
    router.push(async () => {
      await gate.promise;
      return "first answer";
    }, "second answer");
    const first = agent.runTurn({ origin, text: "first" });
    const second = agent.runTurn({ origin, text: "second" });
    await tick();
    await tick();
    expect(router.requests).toHaveLength(1); // the second waits for the first
    gate.resolve();
    expect((await first).text).toBe("first answer");
    expect((await second).text).toBe("second answer");
    // the second turn saw the first one's exchange
    expect(router.messages(1).slice(1).map((m) => m.content)).toEqual(["first", "first answer", "second"]);
    expect(sessions.history(origin.sessionKey).map((m) => m.message.content)).toEqual(["first", "first answer", "second", "second answer"]);
  });

  it("of different sessions overlap", async () => {
    const { agent, router, origin } = setup();
    const gate = deferred();
    router.push(async () => {
      await gate.promise;
      return "slow";
    }, "fast");
    const slow = agent.runTurn({ origin, text: "slow one" });
    const fast = await agent.runTurn({ origin: { ...origin, sessionKey: "discord:dm:9" }, text: "fast one" });
    expect(fast.text).toBe("fast");
    expect(agent.lanes.queued(origin.sessionKey)).toBe(1);
    gate.resolve();
    expect((await slow).text).toBe("slow");
  });

  it("a failed turn does not stop the next one of its session", async () => {
    const { agent, router, origin } = setup();
    router.push(new Error("network down"), "back again");
    const failed = agent.runTurn({ origin, text: "one" });
    const next = agent.runTurn({ origin, text: "two" });
    await expect(failed).rejects.toThrow("network down");
    expect((await next).text).toBe("back again");
  });
});
