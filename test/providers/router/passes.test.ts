// rpm limits (skip, then wait) and retry passes with backoff and Retry-After.
import { describe, expect, it } from "vitest";
import { AllCandidatesFailedError } from "../../../src/providers/router/index.ts";
import { fail, harness, req } from "./fake-client.ts";

describe("rpm limits", () => {
  it("skips an entry at its rpm limit while another target is available", async () => {
    const h = harness({ primary: "a", fallbacks: ["b"] });
    h.list.add("a", "openai/a", { rpm: 2 });
    h.list.add("b", "openai/b");
    const router = h.router();
    const served: string[] = [];
    for (let i = 0; i < 3; i++) served.push((await router.chat(req())).entry.id);
    expect(served).toEqual(["a#0", "a#0", "b#0"]);
    expect(h.sleeps).toEqual([]);
    expect(router.snapshot().targets.find((t) => t.entryId === "a#0")?.rpm).toEqual({ limit: 2, used: 2 });
    h.clock.advance(60_000);
    expect((await router.chat(req())).entry.id).toBe("a#0");
  });

  it("waits for a free slot when the limited entry is the only target left", async () => {
    const h = harness({ primary: "a", fallbacks: [] });
    h.list.add("a", "openai/a", { rpm: 2 });
    const router = h.router();
    const t0 = h.clock.now();
    await router.chat(req());
    h.clock.advance(10_000);
    await router.chat(req());
    await router.chat(req());
    expect(h.sleeps).toEqual([50_000]);
    expect(h.fake.calls.map((c) => c.at - t0)).toEqual([0, 10_000, 60_000]);
  });

  it("uses the limited entry only after the other targets failed", async () => {
    const h = harness({ primary: "a", fallbacks: ["b"] });
    h.list.add("a", "openai/a", { rpm: 1 });
    h.list.add("b", "openai/b");
    const router = h.router();
    await router.chat(req()); // a's one slot used
    h.fake.script("b#0", 0, fail("overloaded", { status: 503 }));
    const r = await router.chat(req());
    expect(r.entry.id).toBe("a#0");
    expect(h.fake.callsTo()).toEqual(["a#0/0", "b#0/0", "a#0/0"]);
    expect(h.sleeps).toEqual([60_000]);
  });

  it("shares one window among an entry's keys", async () => {
    const h = harness({ primary: "a", fallbacks: ["b"] });
    h.list.add("a", "openai/a", { rpm: 1, keys: ["ka-1111", "ka-2222"] });
    h.list.add("b", "openai/b");
    const router = h.router();
    h.fake.script("a#0", 0, fail("rate_limit", { status: 429 }));
    expect((await router.chat(req())).entry.id).toBe("b#0");
    expect(h.fake.callsTo()).toEqual(["a#0/0", "b#0/0"]);
  });
});

describe("retry passes", () => {
  it("retries a single model twice more, after 1 s then 2 s, then gives up", async () => {
    const h = harness({ primary: "a", fallbacks: [] });
    h.list.add("a", "openai/a");
    h.fake.setAlways("a#0", 0, fail("server_error", { status: 500 }));
    const t0 = h.clock.now();
    const err = await h.router().chat(req()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AllCandidatesFailedError);
    expect((err as AllCandidatesFailedError).attempts).toHaveLength(3);
    expect(h.fake.calls).toHaveLength(3);
    expect(h.sleeps).toEqual([1000, 2000]);
    expect(h.clock.now() - t0).toBe(3000);
    expect(h.fake.calls.map((c) => c.at - t0)).toEqual([0, 1000, 3000]);
  });

  it("returns the answer when a later pass succeeds", async () => {
    const h = harness({ primary: "a", fallbacks: [] });
    h.list.add("a", "openai/a");
    h.fake.script("a#0", 0, fail("overloaded", { status: 529 }), fail("timeout"), { text: "third time" });
    const r = await h.router().chat(req());
    expect(r.content).toBe("third time");
    expect(r.attempts.map((a) => a.reason ?? "ok")).toEqual(["overloaded", "timeout", "ok"]);
  });

  it("runs a chain's later passes through the all-cooling rule: one call per pass", async () => {
    const h = harness({ primary: "a", fallbacks: ["b"] });
    h.list.add("a", "openai/a");
    h.list.add("b", "openai/b");
    h.fake.setAlways("a#0", 0, fail("network"));
    h.fake.setAlways("b#0", 0, fail("rate_limit", { status: 429 }));
    await h.router().chat(req()).catch(() => {});
    // pass 1: a, b; pass 2: a (both cool until +1 min, a first); pass 3: b (a now cools 5 min)
    expect(h.fake.callsTo()).toEqual(["a#0/0", "b#0/0", "a#0/0", "b#0/0"]);
    expect(h.sleeps).toEqual([1000, 2000]);
  });

  it("waits at least a Retry-After of up to 60 s between passes", async () => {
    const h = harness({ primary: "a", fallbacks: [] });
    h.list.add("a", "openai/a");
    h.fake.setAlways("a#0", 0, fail("rate_limit", { status: 429, retryAfterMs: 30_000 }));
    await h.router().chat(req()).catch(() => {});
    expect(h.sleeps).toEqual([30_000, 30_000]);
    expect(h.fake.calls).toHaveLength(3);
  });

  it("gives up at once when the Retry-After is longer than 60 s", async () => {
    const h = harness({ primary: "a", fallbacks: [] });
    h.list.add("a", "openai/a");
    h.fake.setAlways("a#0", 0, fail("rate_limit", { status: 429, retryAfterMs: 61_000 }));
    const err = await h.router().chat(req()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AllCandidatesFailedError);
    expect(h.fake.calls).toHaveLength(1);
    expect(h.sleeps).toEqual([]);
    expect(h.logLines.some((l) => l.includes("not retrying"))).toBe(true);
  });

  it("does not retry a pass that had a non-transient failure", async () => {
    const h = harness({ primary: "a", fallbacks: ["b"] });
    h.list.add("a", "openai/a");
    h.list.add("b", "openai/b");
    h.fake.setAlways("a#0", 0, fail("rate_limit", { status: 429 }));
    h.fake.setAlways("b#0", 0, fail("auth", { status: 401 }));
    const err = (await h.router().chat(req()).catch((e: unknown) => e)) as AllCandidatesFailedError;
    expect(err.attempts).toHaveLength(2);
    expect(err.lastReason).toBe("auth");
    expect(h.sleeps).toEqual([]);
  });

  it("applies the same passes to call() and stream()", async () => {
    const h = harness({ primary: "a", fallbacks: [] });
    h.list.add("a", "openai/a");
    h.fake.script("a#0", 0, fail("overloaded"), fail("overloaded"));
    const router = h.router();
    let n = 0;
    const routed = await router.call({}, async () => {
      n++;
      if (n < 3) throw Object.assign(new Error("reset"), { code: "ECONNRESET" });
      return n;
    });
    expect(routed.value).toBe(3);
    expect(routed.attempts.map((a) => a.reason ?? "ok")).toEqual(["network", "network", "ok"]);
    let text = "";
    for await (const d of router.stream(req())) if (d.type === "text") text += d.text;
    expect(text).toBe("ok from a#0 key 0");
    expect(h.fake.calls).toHaveLength(3);
    expect(h.sleeps).toEqual([1000, 2000, 1000, 2000]);
  });
});
