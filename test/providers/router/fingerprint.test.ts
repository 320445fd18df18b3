// Cooldowns belong to what failed (endpoint + model + key), not to a position
// in model_list; and one failed request is one step of the cooldown table.
import { describe, expect, it } from "vitest";
import { memoryStateStore } from "../../../src/providers/router/index.ts";
import { fail, harness, req } from "./fake-client.ts";

describe("health keyed by endpoint, model and key", () => {
  it("keeps a cooldown when the entries are reordered", async () => {
    const store = memoryStateStore();
    const h = harness({ primary: "g", fallbacks: [] });
    h.list.add("g", "openai/m", { keys: ["sk-key-one-123456"], apiBase: "https://one.example.test/v1" });
    h.list.add("g", "openai/m", { keys: ["sk-key-two-123456"], apiBase: "https://two.example.test/v1" });
    h.fake.script("g#0", 0, fail("rate_limit", { status: 429 }));
    await h.router({ stateStore: store }).chat(req()); // g#0 fails, g#1 answers

    // the same two endpoints, listed the other way round: the failed one is now g#1
    const swapped = harness({ primary: "g", fallbacks: [] });
    swapped.clock.set(h.clock.now());
    swapped.list.add("g", "openai/m", { keys: ["sk-key-two-123456"], apiBase: "https://two.example.test/v1" });
    swapped.list.add("g", "openai/m", { keys: ["sk-key-one-123456"], apiBase: "https://one.example.test/v1" });
    const router = swapped.router({ stateStore: store });
    expect(router.snapshot().targets.map((t) => [t.entryId, t.cooldownUntil !== null])).toEqual([
      ["g#0", false],
      ["g#1", true],
    ]);
    await router.chat(req());
    await router.chat(req());
    expect(swapped.fake.callsTo()).toEqual(["g#0/0", "g#0/0"]); // never the cooling endpoint
  });

  it("starts fresh when the key is replaced or the api_base is fixed", async () => {
    const store = memoryStateStore();
    const h = harness({ primary: "a", fallbacks: [] });
    h.list.add("a", "openai/m", { keys: ["sk-old-key-123456"], apiBase: "https://typo.example.test/v1" });
    h.fake.script("a#0", 0, fail("auth", { status: 401 }));
    await expect(h.router({ stateStore: store }).chat(req())).rejects.toThrow(/auth/);

    const newKey = harness({ primary: "a", fallbacks: [] });
    newKey.clock.set(h.clock.now());
    newKey.list.add("a", "openai/m", { keys: ["sk-new-key-654321"], apiBase: "https://typo.example.test/v1" });
    expect((await newKey.router({ stateStore: store }).chat(req())).entry.id).toBe("a#0");

    const fixedBase = harness({ primary: "a", fallbacks: [] });
    fixedBase.clock.set(h.clock.now());
    fixedBase.list.add("a", "openai/m", { keys: ["sk-old-key-123456"], apiBase: "https://right.example.test/v1" });
    expect((await fixedBase.router({ stateStore: store }).chat(req())).entry.id).toBe("a#0");
  });
});

describe("one failed request is one step", () => {
  it("does not climb the table on the retry passes of the same request", async () => {
    const h = harness({ primary: "a", fallbacks: [] });
    h.list.add("a", "openai/m");
    h.fake.setAlways("a#0", 0, fail("server_error", { status: 500 }));
    const router = h.router();
    await expect(router.chat(req())).rejects.toThrow(/attempts failed/);
    expect(h.fake.calls.length).toBe(3); // three passes
    const t = router.snapshot().targets[0]!;
    expect(t.errorCount).toBe(1);
    // first step of the table (1 min) from the last failure, not 25 min
    expect(t.cooldownUntil! - h.clock.now()).toBeLessThanOrEqual(60_000);

    h.clock.advance(60_000);
    await expect(router.chat(req())).rejects.toThrow(/attempts failed/);
    expect(router.snapshot().targets[0]!.errorCount).toBe(2); // the next request is the next step
  });
});
