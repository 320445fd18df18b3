import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AllCandidatesFailedError, createRouter } from "../../../src/providers/routing/router.ts";
import { fileStateStore, memoryStateStore } from "../../../src/providers/routing/state-file.ts";
import { ProviderError } from "../../../src/providers/types.ts";
import { ask, mkEntry, setup } from "./harness.ts";

const MIN = 60_000;
const HOUR = 60 * MIN;
const three = () => [mkEntry("gpt-4", 0), mkEntry("gpt-4", 1), mkEntry("gpt-4", 2)];

async function fails(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected a failure");
}

describe("round-robin", () => {
  it("rotates requests over a group, one step per request", async () => {
    const { router } = setup(three(), { primary: "gpt-4" });
    const answered: string[] = [];
    for (let i = 0; i < 6; i++) answered.push((await router.chat(ask)).entry.id);
    expect(answered).toEqual(["gpt-4#0", "gpt-4#1", "gpt-4#2", "gpt-4#0", "gpt-4#1", "gpt-4#2"]);
  });

  it("moves a failing request to the group's next entry, then along the fallbacks", async () => {
    const { router, client } = setup([...three(), mkEntry("backup", 0)], { primary: "gpt-4", fallbacks: ["backup"] });
    for (const n of [0, 1, 2]) client.script(`gpt-4#${n}`, { fail: "server_error", status: 500 });
    const res = await router.chat(ask);
    expect(res.entry.id).toBe("backup#0");
    expect(client.calls).toEqual(["gpt-4#0/k0", "gpt-4#1/k0", "gpt-4#2/k0", "backup#0/k0"]);
    expect(res.attempts.map((a) => [a.entryId, a.ok, a.reason])).toEqual([
      ["gpt-4#0", false, "server_error"],
      ["gpt-4#1", false, "server_error"],
      ["gpt-4#2", false, "server_error"],
      ["backup#0", true, undefined],
    ]);
  });

  it("accepts a direct vendor/model reference as a fallback", async () => {
    const ref = mkEntry("deepseek/deepseek-chat", 0, { id: "deepseek/deepseek-chat#ref" });
    const { router, client } = setup([mkEntry("main", 0)], { primary: "main", fallbacks: ["deepseek/deepseek-chat"] }, {}, { "deepseek/deepseek-chat": ref });
    client.script("main#0", { fail: "rate_limit", status: 429 });
    expect((await router.chat(ask)).entry.id).toBe("deepseek/deepseek-chat#ref");
  });

  it("never calls the same target twice in one pass when a fallback names the primary", async () => {
    const { router, client } = setup([mkEntry("production", 0), mkEntry("production", 1)], { primary: "production", fallbacks: ["production"] });
    client.script("production#0", { fail: "auth", status: 401 });
    client.script("production#1", { fail: "auth", status: 401 });
    await fails(router.chat(ask));
    expect(client.calls).toEqual(["production#0/k0", "production#1/k0"]);
  });
});

describe("failures that never fall back", () => {
  for (const reason of ["format", "context_overflow"] as const) {
    it(`${reason} stops at the first candidate and surfaces as is`, async () => {
      const { router, client } = setup([mkEntry("a", 0), mkEntry("b", 0)], { primary: "a", fallbacks: ["b"] });
      client.script("a#0", { fail: reason, status: 400 });
      const err = await fails(router.chat(ask));
      expect(err).toBeInstanceOf(ProviderError);
      expect((err as ProviderError).reason).toBe(reason);
      expect(client.calls).toEqual(["a#0/k0"]);
    });
  }

  it("an abort stops everything", async () => {
    const { router } = setup([mkEntry("a", 0)], { primary: "a" });
    const ac = new AbortController();
    ac.abort();
    const err = await fails(router.chat(ask, { signal: ac.signal }));
    expect((err as ProviderError).reason).toBe("aborted");
  });
});

describe("keys", () => {
  it("fails over key by key inside an entry before the next entry", async () => {
    const multi = mkEntry("m", 0, { apiKeys: ["k1-aaaaaaaa", "k2-bbbbbbbb", "k3-cccccccc"] });
    const { router, client } = setup([multi, mkEntry("m", 1)], { primary: "m" });
    client.script("m#0/k0", { fail: "rate_limit", status: 429 });
    client.script("m#0/k1", { fail: "auth", status: 401 });
    const res = await router.chat(ask);
    expect(client.calls).toEqual(["m#0/k0", "m#0/k1", "m#0/k2"]);
    expect(res.attempts.at(-1)!.keyIndex).toBe(2);
  });
});

describe("cooldowns", () => {
  it("cools a failing target for 1 min, 5 min, 25 min, then 1 h", async () => {
    const { router, client, clock } = setup([mkEntry("a", 0), mkEntry("b", 0)], { primary: "a", fallbacks: ["b"] });
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) {
      client.script("a#0", { fail: "server_error", status: 500 });
      await router.chat(ask);
      const t = router.snapshot().targets.find((x) => x.entryId === "a#0")!;
      waits.push(t.cooldownUntil - clock.now());
      // while cooling, requests skip it
      const calls = client.calls.length;
      await router.chat(ask);
      expect(client.calls.slice(calls)).toEqual(["b#0/k0"]);
      clock.advance(t.cooldownUntil - clock.now());
    }
    expect(waits).toEqual([1 * MIN, 5 * MIN, 25 * MIN, HOUR, HOUR]);
  });

  it("resets after a success and after 24 h without failures", async () => {
    const { router, client, clock } = setup([mkEntry("a", 0), mkEntry("b", 0)], { primary: "a", fallbacks: ["b"] });
    const cooldownAfterFailure = async () => {
      client.script("a#0", { fail: "overloaded", status: 529 });
      await router.chat(ask);
      const t = router.snapshot().targets.find((x) => x.entryId === "a#0")!;
      const wait = t.cooldownUntil - clock.now();
      clock.advance(wait);
      return wait;
    };
    expect(await cooldownAfterFailure()).toBe(MIN);
    expect(await cooldownAfterFailure()).toBe(5 * MIN);
    await router.chat(ask); // success on a#0
    expect(await cooldownAfterFailure()).toBe(MIN);
    expect(await cooldownAfterFailure()).toBe(5 * MIN);
    clock.advance(24 * HOUR);
    expect(await cooldownAfterFailure()).toBe(MIN);
  });

  it("cools billing failures 5 h, 10 h, 20 h, then 24 h", async () => {
    const { router, client, clock } = setup([mkEntry("a", 0), mkEntry("b", 0)], { primary: "a", fallbacks: ["b"] });
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      client.script("a#0", { fail: "billing", status: 402 });
      await router.chat(ask);
      const t = router.snapshot().targets.find((x) => x.entryId === "a#0")!;
      waits.push(t.cooldownUntil - clock.now());
      clock.advance(t.cooldownUntil - clock.now());
    }
    expect(waits).toEqual([5 * HOUR, 10 * HOUR, 20 * HOUR, 24 * HOUR]);
  });

  it("lets a longer Retry-After win over the table", async () => {
    const { router, client, clock } = setup([mkEntry("a", 0), mkEntry("b", 0)], { primary: "a", fallbacks: ["b"] });
    client.script("a#0", { fail: "rate_limit", status: 429, retryAfterMs: 10 * MIN });
    await router.chat(ask);
    expect(router.snapshot().targets.find((x) => x.entryId === "a#0")!.cooldownUntil - clock.now()).toBe(10 * MIN);
  });

  it("when everything is cooling, makes exactly one call to the target that recovers first", async () => {
    const { router, client } = setup([mkEntry("a", 0), mkEntry("b", 0)], { primary: "a", fallbacks: ["b"] });
    client.script("a#0", { fail: "auth", status: 401 }, { fail: "auth", status: 401 });
    client.script("b#0", { fail: "rate_limit", status: 429, retryAfterMs: 30_000 });
    await fails(router.chat(ask)); // auth is not transient: no extra passes
    expect(client.calls).toEqual(["a#0/k0", "b#0/k0"]);
    client.calls.length = 0;
    // a cools 1 min, b 1 min too (table beats 30 s); a failed first so it recovers first
    const res = await router.chat(ask).catch((e: unknown) => e);
    expect(client.calls).toEqual(["a#0/k0"]);
    expect(res).toBeInstanceOf(AllCandidatesFailedError);
  });
});

describe("passes", () => {
  it("retries the whole list twice after 1 s and 2 s when every failure was transient", async () => {
    const { router, client, slept } = setup([mkEntry("solo", 0)], { primary: "solo" });
    client.script("solo#0", { fail: "overloaded", status: 529 }, { fail: "timeout" });
    const res = await router.chat(ask);
    expect(res.content).toBe("ok from solo#0");
    expect(client.calls).toHaveLength(3);
    expect(slept).toEqual([1000, 2000]);
  });

  it("gives up with a one-line error naming every attempt, without secrets", async () => {
    const { router, client } = setup([mkEntry("a", 0), mkEntry("b", 0)], { primary: "a", fallbacks: ["b"] });
    for (let i = 0; i < 3; i++) {
      client.script("a#0", { fail: "server_error", status: 500 });
      client.script("b#0", { fail: "rate_limit", status: 429 });
    }
    const err = await fails(router.chat(ask));
    expect(err).toBeInstanceOf(AllCandidatesFailedError);
    expect(err.message.split("\n")).toHaveLength(1);
    expect(err.message).toMatch(/^all \d+ attempts failed: a#0 key1 server_error \(500\) \d+ms; b#0 key1 rate_limit \(429\)/);
    expect(err.message).not.toMatch(/secretvalue/);
    expect((err as AllCandidatesFailedError).attempts.every((a) => !a.message?.includes("secretvalue"))).toBe(true);
  });

  it("does not wait out a Retry-After longer than a minute", async () => {
    const { router, client, slept } = setup([mkEntry("a", 0)], { primary: "a" });
    client.script("a#0", { fail: "rate_limit", status: 429, retryAfterMs: 5 * MIN });
    await fails(router.chat(ask));
    expect(client.calls).toHaveLength(1);
    expect(slept).toEqual([]);
  });

  it("waits at least a short Retry-After between passes", async () => {
    const { router, client, slept } = setup([mkEntry("a", 0)], { primary: "a" });
    client.script("a#0", { fail: "rate_limit", status: 429, retryAfterMs: 20_000 });
    await router.chat(ask);
    expect(slept).toEqual([20_000]);
  });
});

describe("rpm", () => {
  it("skips an entry at its rpm limit while others can answer", async () => {
    const { router } = setup([mkEntry("g", 0, { rpm: 1 }), mkEntry("g", 1)], { primary: "g" });
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push((await router.chat(ask)).entry.id);
    expect(ids).toEqual(["g#0", "g#1", "g#1", "g#1"]);
  });

  it("waits for a free slot when the limited entry is the only one", async () => {
    const { router, slept, clock } = setup([mkEntry("solo", 0, { rpm: 2 })], { primary: "solo" });
    await router.chat(ask);
    clock.advance(10_000);
    await router.chat(ask);
    await router.chat(ask);
    expect(slept).toEqual([50_000]);
  });
});

describe("streams", () => {
  it("fails over before the first delta", async () => {
    const { router, client } = setup([mkEntry("a", 0), mkEntry("b", 0)], { primary: "a", fallbacks: ["b"] });
    client.script("a#0", { fail: "network" });
    const out: string[] = [];
    for await (const d of router.stream(ask)) if (d.type === "text") out.push(d.text);
    expect(out).toEqual(["ok from b#0"]);
  });
});

describe("configuration problems", () => {
  it("says how to configure a model when there is none", async () => {
    const { router } = setup([], {});
    expect((await fails(router.chat(ask))).message).toMatch(/agents\.defaults\.model_name/);
  });

  it("names unknown models", async () => {
    const { router } = setup([mkEntry("a", 0)], { primary: "nope", fallbacks: ["also-nope"] });
    expect((await fails(router.chat(ask))).message).toMatch(/"nope", "also-nope"/);
  });
});

describe("state", () => {
  it("persists cooldowns to a private file and restores them after a restart", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sb-router-"));
    try {
      const file = join(dir, "state", "router.json");
      const first = setup([mkEntry("a", 0), mkEntry("b", 0)], { primary: "a", fallbacks: ["b"] }, { stateStore: fileStateStore(file) });
      first.client.script("a#0", { fail: "server_error", status: 500 });
      await first.router.chat(ask);
      first.router.flush();
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const second = setup([mkEntry("a", 0), mkEntry("b", 0)], { primary: "a", fallbacks: ["b"] }, { stateStore: fileStateStore(file), clock: first.clock });
      await second.router.chat(ask);
      expect(second.client.calls).toEqual(["b#0/k0"]);
      expect(second.router.snapshot().targets.find((t) => t.entryId === "a#0")!.lastError).toMatchObject({ reason: "server_error", status: 500 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("keeps no key in the persisted state", async () => {
    const store = memoryStateStore();
    const { router, client } = setup([mkEntry("a", 0)], { primary: "a" }, { stateStore: store });
    client.script("a#0", { fail: "auth", status: 401 });
    await fails(router.chat(ask));
    router.flush();
    expect(JSON.stringify(store.last)).not.toMatch(/secretvalue/);
  });

  it("records every attempt for status", async () => {
    const { router, client } = setup([mkEntry("a", 0), mkEntry("b", 0)], { primary: "a", fallbacks: ["b"] });
    client.script("a#0", { fail: "timeout" });
    await router.chat(ask);
    expect(router.attemptsLog().map((a) => [a.entryId, a.ok])).toEqual([["a#0", false], ["b#0", true]]);
    expect(createRouter).toBeTypeOf("function");
  });
});
