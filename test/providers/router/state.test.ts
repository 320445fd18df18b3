// snapshot(), attemptsLog(), and the state stores: cooldowns survive a
// restart through the file store, which `status` can read.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { fileStateStore, memoryStateStore, readRouterState } from "../../../src/providers/router/index.ts";
import { fail, harness, req } from "./fake-client.ts";

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "router-state-"));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup() {
  const h = harness({ primary: "a", fallbacks: ["b"] });
  h.list.add("a", "openai/a", { keys: ["sk-a-first-secret", "sk-a-second-secret"], rpm: 10 });
  h.list.add("b", "openai/b");
  return h;
}

describe("snapshot", () => {
  it("shows every configured target with cooldown, error count, last error, last success, rpm use and group counters", async () => {
    const h = setup();
    h.fake.script("a#0", 0, fail("rate_limit", { status: 429, message: "slow down, sk-a-first-secret" }));
    const router = h.router();
    const r = await router.chat(req());
    expect(r.entry.id).toBe("a#0");
    const now = h.clock.now();
    const snap = router.snapshot();
    expect(snap.at).toBe(now);
    expect(snap.groups).toEqual({ a: 1 });
    expect(snap.targets).toEqual([
      {
        key: expect.stringMatching(/^[\w-]{22}$/),
        entryId: "a#0",
        modelName: "a",
        model: "openai/a",
        keyIndex: 0,
        cooldownUntil: now + 60_000,
        errorCount: 1,
        lastError: { reason: "rate_limit", status: 429, message: "slow down, [redacted]", at: now },
        lastSuccessAt: null,
        rpm: { limit: 10, used: 2 },
      },
      {
        key: expect.stringMatching(/^[\w-]{22}$/),
        entryId: "a#0",
        modelName: "a",
        model: "openai/a",
        keyIndex: 1,
        cooldownUntil: null,
        errorCount: 0,
        lastError: null,
        lastSuccessAt: now,
        rpm: { limit: 10, used: 2 },
      },
      {
        key: expect.stringMatching(/^[\w-]{22}$/),
        entryId: "b#0",
        modelName: "b",
        model: "openai/b",
        keyIndex: 0,
        cooldownUntil: null,
        errorCount: 0,
        lastError: null,
        lastSuccessAt: null,
        rpm: null,
      },
    ]);
    h.clock.advance(60_000);
    expect(router.snapshot().targets[0]?.cooldownUntil).toBeNull();
  });

  it("lists direct vendor/model targets it has called", async () => {
    const h = harness({ primary: "deepseek/deepseek-chat", fallbacks: [] });
    const router = h.router();
    await router.chat(req());
    expect(router.snapshot().targets.map((t) => [t.entryId, t.model, t.lastSuccessAt !== null])).toEqual([
      ["deepseek/deepseek-chat", "deepseek/deepseek-chat", true],
    ]);
  });
});

describe("attemptsLog", () => {
  it("keeps the most recent attempts in a bounded ring, oldest first", async () => {
    const h = setup();
    const router = h.router({ attemptsLogSize: 3 });
    h.fake.script("a#0", 0, fail("timeout"));
    await router.chat(req()); // a key0 fails, key1 ok
    await router.chat(req()); // a key1 ok (key0 cooling)
    await router.chat(req());
    const log = router.attemptsLog();
    expect(log).toHaveLength(3);
    expect(log.map((a) => [a.keyIndex, a.ok])).toEqual([
      [1, true],
      [1, true],
      [1, true],
    ]);
    expect(router.attemptsLog(1)).toHaveLength(1);
    expect(router.attemptsLog(0)).toEqual([]);
  });
});

describe("state stores", () => {
  it("memoryStateStore carries cooldowns into a new router", async () => {
    const h = setup();
    const store = memoryStateStore();
    h.fake.script("a#0", 0, fail("auth", { status: 401 }));
    h.fake.script("a#0", 1, fail("auth", { status: 401 }));
    await h.router({ stateStore: store }).chat(req());
    const again = h.router({ stateStore: store });
    expect((await again.chat(req())).entry.id).toBe("b#0");
    expect(h.fake.callsTo()).toEqual(["a#0/0", "a#0/1", "b#0/0", "b#0/0"]);
  });

  it("fileStateStore: a restart keeps cooldowns; the file is 0600, atomic, and holds no key", async () => {
    const dir = tempDir();
    const path = join(dir, "nested", "state", "router.json");
    const h = setup();
    h.fake.script("a#0", 0, fail("billing", { status: 402, message: "no credit for key sk-a-first-secret" }));
    const first = h.router({ stateStore: fileStateStore(path) });
    await first.chat(req());
    first.flush();

    expect(statSync(path).mode & 0o777).toBe(0o600);
    const text = readFileSync(path, "utf8");
    expect(text).not.toContain("sk-a-first-secret");
    expect(text).not.toContain("sk-a-second-secret");
    expect(readdirSync(join(dir, "nested", "state"))).toEqual(["router.json"]);
    const saved = readRouterState(path);
    expect(saved?.targets.find((t) => t.entryId === "a#0" && t.keyIndex === 0)).toMatchObject({
      errorCount: 1,
      billingCount: 1,
      cooldownUntil: h.clock.now() + 5 * 3600_000,
      lastError: { reason: "billing", status: 402, message: "no credit for key [redacted]" },
    });

    // "restart": a new router over the same file skips the cooling key
    h.clock.advance(3600_000);
    const second = h.router({ stateStore: fileStateStore(path) });
    const snap = second.snapshot().targets.find((t) => t.entryId === "a#0" && t.keyIndex === 0);
    expect(snap?.cooldownUntil).toBe(h.clock.now() + 4 * 3600_000);
    const before = h.fake.calls.length;
    await second.chat(req());
    expect(h.fake.callsTo().slice(before)).toEqual(["a#0/1"]);
  });

  it("fileStateStore coalesces ordinary saves but writes failures at once, and flush() writes the rest", async () => {
    const dir = tempDir();
    const path = join(dir, "router.json");
    const h = setup();
    const router = h.router({ stateStore: fileStateStore(path, { minIntervalMs: 60_000 }) });
    await router.chat(req()); // success: written (first write)
    h.clock.advance(1000);
    await router.chat(req()); // success: held back
    expect(readRouterState(path)?.savedAt).toBe(h.clock.now() - 1000);
    h.fake.script("b#0", 0, fail("auth"));
    await router.chat(req(), { model: "b", fallbacks: [] }).catch(() => {}); // failure: urgent
    expect(readRouterState(path)?.targets.find((t) => t.entryId === "b#0")?.lastError?.reason).toBe("auth");
    h.clock.advance(1000);
    await router.chat(req());
    router.flush();
    expect(readRouterState(path)?.savedAt).toBe(h.clock.now());
  });

  it("saves the state of a run of successes once, not per call; a failure at once; flush() saves the last success", async () => {
    const h = setup();
    const store = memoryStateStore();
    const router = h.router({ stateStore: store });
    for (let i = 0; i < 20; i++) {
      await router.chat(req());
      h.clock.advance(10);
    }
    expect(store.saves).toBe(1);
    h.fake.script("b#0", 0, fail("auth"));
    await router.chat(req(), { model: "b", fallbacks: [] }).catch(() => {});
    expect(store.saves).toBe(2);
    expect(store.load()?.targets.find((t) => t.entryId === "b#0")?.lastError?.reason).toBe("auth");
    h.clock.advance(10);
    await router.chat(req());
    const last = h.clock.now();
    router.flush();
    expect(store.saves).toBe(3);
    expect(Math.max(...store.load()!.targets.map((t) => t.lastSuccessAt ?? 0))).toBe(last);
  });

  it("starts fresh from a corrupt or foreign file, and replaces it with valid state", async () => {
    const dir = tempDir();
    const path = join(dir, "router.json");
    writeFileSync(path, "{ not json");
    const h = setup();
    const router = h.router({ stateStore: fileStateStore(path) });
    expect((await router.chat(req())).entry.id).toBe("a#0");
    expect(readRouterState(path)?.targets.map((t) => t.entryId)).toEqual(["a#0"]);
    writeFileSync(path, JSON.stringify({ version: 2, targets: "x" }));
    expect(readRouterState(path)).toBeUndefined();
    expect(readRouterState(join(dir, "missing.json"))).toBeUndefined();
    expect(existsSync(path)).toBe(true);
  });
});
