// What stops a request and what moves it on: non-fallback reasons, errors
// that are not ProviderErrors, the all-failed error, aborts, streaming and
// call().
import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { AllCandidatesFailedError } from "../../../src/providers/router/index.ts";
import { ProviderError, type CallTarget, type ProviderClient } from "../../../src/providers/types.ts";
import { collect, fail, harness, ok, req } from "./fake-client.ts";

function twoModels() {
  const h = harness({ primary: "a", fallbacks: ["b"] });
  h.list.add("a", "openai/a");
  h.list.add("b", "openai/b");
  return h;
}

describe("reasons that never fall back", () => {
  for (const reason of ["format", "context_overflow", "aborted"] as const) {
    it(`${reason}: propagates the ProviderError after one call and starts no cooldown`, async () => {
      const h = twoModels();
      h.fake.script("a#0", 0, fail(reason, { status: reason === "aborted" ? undefined : 400 }));
      const router = h.router();
      const err = await router.chat(req()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ProviderError);
      expect((err as ProviderError).reason).toBe(reason);
      expect(h.fake.callsTo()).toEqual(["a#0/0"]);
      expect(h.sleeps).toEqual([]);
      const snap = router.snapshot().targets.find((t) => t.entryId === "a#0");
      expect(snap?.cooldownUntil).toBeNull();
      expect(snap?.errorCount).toBe(0);
      expect(router.attemptsLog().map((a) => a.reason)).toEqual([reason]);
    });
  }
});

describe("errors that are not ProviderErrors", () => {
  it("classifies a socket error as network and a plain Error as server_error, and falls back", async () => {
    const h = harness({ primary: "a", fallbacks: ["b", "c"] });
    for (const n of ["a", "b", "c"]) h.list.add(n, `openai/${n}`);
    h.fake.script("a#0", 0, { raw: Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED" }) });
    h.fake.script("b#0", 0, { raw: new Error("something odd") });
    const r = await h.router().chat(req());
    expect(r.entry.id).toBe("c#0");
    expect(r.attempts.map((a) => a.reason ?? "ok")).toEqual(["network", "server_error", "ok"]);
  });
});

describe("AllCandidatesFailedError", () => {
  it("is one line naming each attempt, without secrets or provider text", async () => {
    const h = harness({ primary: "glm-4.7", fallbacks: ["b"] });
    h.list.add("glm-4.7", "zhipu/glm-4.7", { keys: ["sk-zhipu-very-secret-1", "sk-zhipu-very-secret-2"] });
    h.list.add("b", "openai/b", { keys: ["sk-openai-very-secret-3"] });
    h.fake.script("glm-4.7#0", 0, { ...fail("auth", { status: 401, message: "bad key sk-zhipu-very-secret-1\n at line 2" }), latencyMs: 12 });
    h.fake.script("glm-4.7#0", 1, fail("billing", { status: 402, message: "Authorization: Bearer sk-zhipu-very-secret-2 has no balance" }));
    h.fake.script("b#0", 0, fail("model_not_found", { status: 404, message: "model b missing (key=sk-openai-very-secret-3)" }));
    const router = h.router();
    const err = await router.chat(req()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AllCandidatesFailedError);
    const e = err as AllCandidatesFailedError;
    expect(e.code).toBe("all_candidates_failed");
    expect(e.exitCode).toBe(1);
    expect(e.lastReason).toBe("model_not_found");
    expect(e.message).toMatch(
      /^all 3 attempts failed: glm-4\.7#0 key1 auth \(401\) 12ms; glm-4\.7#0 key2 billing \(402\) 0ms; b#0 key1 model_not_found \(404\) 0ms/,
    );
    expect(e.message).not.toContain("\n");
    expect(String(e.stack)).not.toContain("\n");
    expect(e.attempts).toHaveLength(3);
    const everything = [e.message, JSON.stringify(e.attempts), JSON.stringify(router.snapshot()), ...h.logLines].join("\n");
    for (const secret of ["sk-zhipu-very-secret-1", "sk-zhipu-very-secret-2", "sk-openai-very-secret-3"]) {
      expect(everything).not.toContain(secret);
    }
    expect(e.attempts[0]?.message).toBe("bad key [redacted] at line 2");
    // no retry passes: auth, billing and model_not_found are not transient
    expect(h.sleeps).toEqual([]);
  });

  it("says '1 attempt failed' for a single target", async () => {
    const h = harness({ primary: "a", fallbacks: [] });
    h.list.add("a", "openai/a");
    h.fake.script("a#0", 0, fail("auth", { status: 403 }));
    const err = (await h.router().chat(req()).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/^1 attempt failed: a#0 key1 auth \(403\) 0ms — the provider refused the API key.*waiting will not help/);
  });
});

describe("abort", () => {
  it("stops a call in flight at once with reason aborted, even when the client ignores the signal", async () => {
    const h = twoModels();
    h.fake.script("a#0", 0, { hang: true, ignoreSignal: true });
    const ctl = new AbortController();
    const p = h.router().chat(req(), { signal: ctl.signal });
    await new Promise((r) => setImmediate(r));
    expect(h.fake.calls).toHaveLength(1);
    ctl.abort();
    const err = await p.catch((e: unknown) => e);
    expect((err as ProviderError).reason).toBe("aborted");
    expect(h.fake.callsTo()).toEqual(["a#0/0"]);
  });

  it("honours the request's own signal too", async () => {
    const h = twoModels();
    h.fake.script("a#0", 0, { hang: true });
    const ctl = new AbortController();
    const p = h.router().chat({ ...req(), signal: ctl.signal });
    await new Promise((r) => setImmediate(r));
    ctl.abort();
    expect(((await p.catch((e: unknown) => e)) as ProviderError).reason).toBe("aborted");
    expect(h.fake.calls).toHaveLength(1);
  });

  it("interrupts the wait between passes and makes no further call", async () => {
    const h = harness({ primary: "a", fallbacks: [] });
    h.list.add("a", "openai/a");
    h.fake.setAlways("a#0", 0, fail("overloaded", { status: 503 }));
    const ctl = new AbortController();
    let sleeping!: () => void;
    const asleep = new Promise<void>((r) => (sleeping = r));
    const router = h.router({ sleep: () => (sleeping(), new Promise<void>(() => {})) });
    const p = router.chat(req(), { signal: ctl.signal });
    await asleep;
    ctl.abort();
    const err = await p.catch((e: unknown) => e);
    expect((err as ProviderError).reason).toBe("aborted");
    expect(h.fake.calls).toHaveLength(1);
  });

  it("makes no call when already aborted", async () => {
    const h = twoModels();
    const err = await h.router().chat(req(), { signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect((err as ProviderError).reason).toBe("aborted");
    expect(h.fake.calls).toHaveLength(0);
  });
});

describe("stream", () => {
  it("fails over when a target fails before its first delta", async () => {
    const h = twoModels();
    h.fake.script("a#0", 0, fail("rate_limit", { status: 429 }));
    h.fake.script("b#0", 0, { deltas: ["Hel", "lo"] });
    const text = await collect(h.router().stream(req()));
    expect(text).toBe("Hello");
    expect(h.fake.calls.map((c) => `${c.kind}:${c.entryId}`)).toEqual(["stream:a#0", "stream:b#0"]);
  });

  it("propagates an error after the first delta without trying another target", async () => {
    const h = twoModels();
    h.fake.script("a#0", 0, { deltas: ["partial "], failAfter: new ProviderError("network", "socket hang up") });
    const router = h.router();
    const seen: string[] = [];
    const err = await (async () => {
      for await (const d of router.stream(req())) if (d.type === "text") seen.push(d.text);
    })().catch((e: unknown) => e);
    expect(seen).toEqual(["partial "]);
    expect((err as ProviderError).reason).toBe("network");
    expect(h.fake.callsTo()).toEqual(["a#0/0"]);
    const a = router.snapshot().targets.find((t) => t.entryId === "a#0");
    expect(a?.lastError?.reason).toBe("network");
    expect(a?.cooldownUntil).toBe(h.clock.now() + 60_000);
  });

  it("ends a stream mid-way at the caller's abort even when the client ignores it, and leaves no listener on the signal", async () => {
    const h = twoModels();
    let hanging = true;
    const client: ProviderClient = {
      chat: () => Promise.reject(new Error("not used")),
      async *stream() {
        yield { type: "text", text: "one" };
        yield { type: "text", text: "two" };
        // deaf to every signal: only the router can end the wait
        while (hanging) await new Promise<void>((r) => setImmediate(r));
      },
    };
    const router = h.router({ clientFor: () => client });
    const ac = new AbortController();
    const seen: string[] = [];
    const err = await (async () => {
      for await (const d of router.stream(req(), { signal: ac.signal })) {
        if (d.type === "text") seen.push(d.text);
        if (seen.length === 2) ac.abort();
      }
    })().catch((e: unknown) => e);
    hanging = false;
    expect(seen).toEqual(["one", "two"]);
    expect((err as ProviderError).reason).toBe("aborted");

    // a stream read to its end leaves the caller's long-lived signal as it found it
    const turn = new AbortController();
    h.fake.script("a#0", 0, { deltas: ["a", "b", "c"] });
    expect(await collect(h.router().stream({ ...req(), signal: turn.signal }, { signal: turn.signal }))).toBe("abc");
    expect(getEventListeners(turn.signal, "abort")).toHaveLength(0);
  });

  it("stops cleanly when the consumer breaks early", async () => {
    const h = twoModels();
    h.fake.script("a#0", 0, { deltas: ["one", "two", "three"] });
    const router = h.router();
    for await (const d of router.stream(req())) {
      expect(d).toEqual({ type: "text", text: "one" });
      break;
    }
    expect(router.attemptsLog().map((a) => a.ok)).toEqual([true]);
  });
});

describe("call()", () => {
  it("routes any call with the same failover and hands fn the target's key and a signal", async () => {
    const h = twoModels();
    const seen: { id: string; key: string | undefined; signal: boolean }[] = [];
    const routed = await h.router().call({}, async (t: CallTarget, signal: AbortSignal) => {
      seen.push({ id: t.entry.id, key: t.apiKey, signal: signal instanceof AbortSignal });
      if (t.entry.id === "a#0") throw new ProviderError("overloaded", "busy", { status: 503 });
      return `image from ${t.entry.id}`;
    });
    expect(routed.value).toBe("image from b#0");
    expect(routed.target.entry.id).toBe("b#0");
    expect(routed.attempts.map((a) => a.ok)).toEqual([false, true]);
    expect(seen).toEqual([
      { id: "a#0", key: "sk-a-secret-key-0", signal: true },
      { id: "b#0", key: "sk-b-secret-key-0", signal: true },
    ]);
  });

  it("passes the caller's abort to fn", async () => {
    const h = twoModels();
    const ctl = new AbortController();
    let observed = false;
    const p = h.router().call({ signal: ctl.signal }, (_t, signal) => {
      signal.addEventListener("abort", () => (observed = true));
      return new Promise<string>(() => {});
    });
    await new Promise((r) => setImmediate(r));
    ctl.abort();
    expect(((await p.catch((e: unknown) => e)) as ProviderError).reason).toBe("aborted");
    expect(observed).toBe(true);
  });

  it("treats a successful probe as a success for the target's health", async () => {
    const h = twoModels();
    h.fake.script("a#0", 0, fail("server_error", { status: 500 }));
    const router = h.router();
    await router.chat(req());
    h.clock.advance(60_000);
    await router.call({ model: "a", fallbacks: [] }, async () => ok());
    const a = router.snapshot().targets.find((t) => t.entryId === "a#0");
    expect(a?.errorCount).toBe(0);
    expect(a?.lastSuccessAt).toBe(h.clock.now());
  });
});
