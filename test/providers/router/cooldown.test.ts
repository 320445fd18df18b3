// Cooldowns per target: the 1m/5m/25m/1h table, billing 5h doubling to 24h,
// Retry-After, resets, skipping cooling targets and the all-cooling call.
import { describe, expect, it } from "vitest";
import { AllCandidatesFailedError, cooldownMs } from "../../../src/providers/router/index.ts";
import type { Router } from "../../../src/providers/router/index.ts";
import { fail, harness, req, type Harness } from "./fake-client.ts";

const MIN = 60_000;
const HOUR = 60 * MIN;

function cooldownLeft(h: Harness, router: Router, entryId: string, keyIndex = 0): number | null {
  const t = router.snapshot().targets.find((x) => x.entryId === entryId && x.keyIndex === keyIndex);
  return t?.cooldownUntil == null ? null : t.cooldownUntil - h.clock.now();
}

/** One target that fails with `reason` on every call; each request is one call (non-transient reasons). */
function failing(reason: "auth" | "billing" | "model_not_found") {
  const h = harness({ primary: "a", fallbacks: [] });
  h.list.add("a", "openai/a");
  h.fake.setAlways("a#0", 0, fail(reason, { status: reason === "billing" ? 402 : reason === "auth" ? 401 : 404 }));
  return { h, router: h.router() };
}

describe("cooldown table", () => {
  it("grows 1 min, 5 min, 25 min, then stays at 1 h", async () => {
    const { h, router } = failing("auth");
    const seen: (number | null)[] = [];
    for (let i = 0; i < 5; i++) {
      await expect(router.chat(req())).rejects.toBeInstanceOf(AllCandidatesFailedError);
      const left = cooldownLeft(h, router, "a#0");
      seen.push(left);
      h.clock.advance(left ?? 0);
    }
    expect(seen).toEqual([1 * MIN, 5 * MIN, 25 * MIN, HOUR, HOUR]);
    expect(h.fake.calls).toHaveLength(5);
    expect(router.snapshot().targets[0]?.errorCount).toBe(5);
  });

  it("model_not_found cools down by the same table", async () => {
    const { h, router } = failing("model_not_found");
    await expect(router.chat(req())).rejects.toThrow(/model_not_found \(404\)/);
    expect(cooldownLeft(h, router, "a#0")).toBe(MIN);
  });

  it("billing: 5 h, 10 h, 20 h, then capped at 24 h (retrying at each cooldown's end)", async () => {
    const { h, router } = failing("billing");
    const seen: (number | null)[] = [];
    for (let i = 0; i < 5; i++) {
      await router.chat(req()).catch(() => {});
      const left = cooldownLeft(h, router, "a#0");
      seen.push(left);
      h.clock.advance(left ?? 0);
    }
    expect(seen).toEqual([5 * HOUR, 10 * HOUR, 20 * HOUR, 24 * HOUR, 24 * HOUR]);
  });

  it("resets the counter on success", async () => {
    const h = harness({ primary: "a", fallbacks: [] });
    h.list.add("a", "openai/a");
    h.fake.script("a#0", 0, fail("auth"), fail("auth"), { text: "fine" }, fail("auth"));
    const router = h.router();
    await router.chat(req()).catch(() => {});
    h.clock.advance(MIN);
    await router.chat(req()).catch(() => {});
    expect(cooldownLeft(h, router, "a#0")).toBe(5 * MIN);
    h.clock.advance(5 * MIN);
    expect((await router.chat(req())).content).toBe("fine");
    expect(router.snapshot().targets[0]).toMatchObject({ errorCount: 0, cooldownUntil: null, lastSuccessAt: h.clock.now() });
    await router.chat(req()).catch(() => {});
    expect(cooldownLeft(h, router, "a#0")).toBe(MIN);
  });

  it("resets the counter after 24 h without a failure", async () => {
    const { h, router } = failing("auth");
    await router.chat(req()).catch(() => {});
    h.clock.advance(MIN);
    await router.chat(req()).catch(() => {});
    expect(cooldownLeft(h, router, "a#0")).toBe(5 * MIN);
    // quiet time counts from the end of the cooldown (5 min)
    h.clock.advance(5 * MIN + 24 * HOUR - 1);
    expect(router.snapshot().targets[0]?.errorCount).toBe(2);
    h.clock.advance(1);
    expect(router.snapshot().targets[0]?.errorCount).toBe(0);
    await router.chat(req()).catch(() => {});
    expect(cooldownLeft(h, router, "a#0")).toBe(MIN);
  });

  it("lets a Retry-After longer than the table win, and ignores a shorter one", async () => {
    const h = harness({ primary: "a", fallbacks: ["b", "c"] });
    for (const n of ["a", "b", "c"]) h.list.add(n, `openai/${n}`);
    h.fake.script("a#0", 0, fail("rate_limit", { status: 429, retryAfterMs: 10 * MIN }));
    h.fake.script("b#0", 0, fail("rate_limit", { status: 429, retryAfterMs: 5_000 }));
    const router = h.router();
    await router.chat(req());
    expect(cooldownLeft(h, router, "a#0")).toBe(10 * MIN);
    expect(cooldownLeft(h, router, "b#0")).toBe(MIN);
  });

  it("exposes the table as a pure function", () => {
    expect(cooldownMs("timeout", 2, 0)).toBe(5 * MIN);
    expect(cooldownMs("billing", 7, 7)).toBe(24 * HOUR);
    expect(cooldownMs("overloaded", 1, 0, 2 * HOUR)).toBe(2 * HOUR);
  });
});

describe("cooling targets", () => {
  it("are skipped until their cooldown ends", async () => {
    const h = harness({ primary: "a", fallbacks: ["b"] });
    h.list.add("a", "openai/a");
    h.list.add("b", "openai/b");
    h.fake.script("a#0", 0, fail("server_error", { status: 500 }));
    const router = h.router();
    await router.chat(req());
    h.clock.advance(MIN - 1);
    expect((await router.chat(req())).entry.id).toBe("b#0");
    expect(h.fake.callsTo()).toEqual(["a#0/0", "b#0/0", "b#0/0"]);
    h.clock.advance(1);
    expect((await router.chat(req())).entry.id).toBe("a#0");
  });

  it("when every target is cooling, makes exactly one call, to the one whose cooldown ends first", async () => {
    const h = harness({ primary: "a", fallbacks: ["b", "c"] });
    for (const n of ["a", "b", "c"]) h.list.add(n, `openai/${n}`);
    h.fake.script("a#0", 0, fail("auth", { retryAfterMs: 30 * MIN }));
    h.fake.script("b#0", 0, fail("auth", { retryAfterMs: 10 * MIN }));
    h.fake.script("c#0", 0, fail("auth", { retryAfterMs: 20 * MIN }));
    const router = h.router();
    await expect(router.chat(req())).rejects.toBeInstanceOf(AllCandidatesFailedError);
    expect(h.fake.calls).toHaveLength(3);
    h.clock.advance(MIN);
    const r = await router.chat(req());
    expect(r.entry.id).toBe("b#0");
    expect(h.fake.callsTo().slice(3)).toEqual(["b#0/0"]);
    expect(r.attempts).toHaveLength(1);
  });

  it("reports the single all-cooling attempt in AllCandidatesFailedError when it fails", async () => {
    const h = harness({ primary: "a", fallbacks: ["b"] });
    h.list.add("a", "openai/a");
    h.list.add("b", "openai/b");
    h.fake.setAlways("a#0", 0, fail("auth", { status: 401 }));
    h.fake.setAlways("b#0", 0, fail("auth", { status: 401 }));
    const router = h.router();
    await router.chat(req()).catch(() => {});
    const err = (await router.chat(req()).catch((e: unknown) => e)) as AllCandidatesFailedError;
    expect(err.attempts).toHaveLength(1);
    expect(err.attempts[0]?.entryId).toBe("a#0");
    expect(h.fake.calls).toHaveLength(3);
  });
});

describe("clearing a cooldown by hand", () => {
  it("makes a cooling target usable at once and starts its table over; the last error stays", async () => {
    const { h, router } = failing("auth");
    await router.chat(req()).catch(() => {});
    await router.chat(req()).catch(() => {}); // all cooling: one call to the soonest target
    const target = router.snapshot().targets[0]!;
    expect(target.cooldownUntil).not.toBeNull();
    expect(router.clearCooldown(target.key)).toBe(true);
    const after = router.snapshot().targets[0]!;
    expect(after).toMatchObject({ cooldownUntil: null, errorCount: 0 });
    expect(after.lastError?.reason).toBe("auth");
    expect(router.clearCooldown(target.key)).toBe(false); // nothing left to clear
    await router.chat(req()).catch(() => {});
    expect(cooldownLeft(h, router, "a#0")).toBe(MIN); // the table starts again at its first step
  });
});
