// Candidate selection: round-robin per group (doc 002), entry then fallback
// order, direct vendor/model references, key-level failover, unknown names.
import { describe, expect, it } from "vitest";
import { SwitchboardError } from "../../../src/core/errors.ts";
import { fail, harness, req } from "./fake-client.ts";

describe("round-robin within a model_name group", () => {
  it("sends request 1, 2, 3, 4 to entries 1, 2, 3, 1 (doc 002, three keys)", async () => {
    const h = harness({ primary: "gpt-4", fallbacks: [] });
    for (const key of ["sk-key1", "sk-key2", "sk-key3"]) h.list.add("gpt-4", "openai/gpt-4", { keys: [key] });
    const router = h.router();
    const served: string[] = [];
    for (let i = 0; i < 4; i++) served.push((await router.chat(req())).entry.id);
    expect(served).toEqual(["gpt-4#0", "gpt-4#1", "gpt-4#2", "gpt-4#0"]);
    expect(h.fake.calls.map((c) => c.apiKey)).toEqual(["sk-key1", "sk-key2", "sk-key3", "sk-key1"]);
    expect(router.snapshot().groups).toEqual({ "gpt-4": 4 });
  });

  it("rotates concurrent requests too", async () => {
    const h = harness({ primary: "g", fallbacks: [] });
    for (let i = 0; i < 3; i++) h.list.add("g", "openai/m");
    const router = h.router();
    const all = await Promise.all([router.chat(req()), router.chat(req()), router.chat(req())]);
    expect(all.map((r) => r.entry.id)).toEqual(["g#0", "g#1", "g#2"]);
  });

  it("advances the counter once per request, not per attempt", async () => {
    const h = harness({ primary: "g", fallbacks: [] });
    for (let i = 0; i < 3; i++) h.list.add("g", "openai/m");
    h.fake.script("g#0", 0, fail("server_error", { status: 500 }));
    const router = h.router();
    const first = await router.chat(req());
    expect(first.entry.id).toBe("g#1");
    expect(first.attempts.map((a) => [a.entryId, a.ok])).toEqual([
      ["g#0", false],
      ["g#1", true],
    ]);
    // the second request starts at entry 1 (counter 1), not at entry 2
    const second = await router.chat(req());
    expect(second.entry.id).toBe("g#1");
    expect(h.fake.callsTo()).toEqual(["g#0/0", "g#1/0", "g#1/0"]);
  });

  it("tries the group's other entries in order after the starting one, wrapping", async () => {
    const h = harness({ primary: "g", fallbacks: [] });
    for (let i = 0; i < 3; i++) h.list.add("g", "openai/m");
    const router = h.router();
    await router.chat(req()); // counter → 1
    h.fake.script("g#1", 0, fail("overloaded", { status: 529 }));
    h.fake.script("g#2", 0, fail("overloaded", { status: 529 }));
    const r = await router.chat(req());
    expect(r.entry.id).toBe("g#0");
    expect(h.fake.callsTo().slice(1)).toEqual(["g#1/0", "g#2/0", "g#0/0"]);
  });
});

describe("fallback chains", () => {
  it("moves from a failing entry to the group's next entry, then to the fallback group", async () => {
    const h = harness({ primary: "main", fallbacks: ["backup"] });
    h.list.add("main", "openai/gpt-5.4");
    h.list.add("main", "openai/gpt-5.4");
    h.list.add("backup", "deepseek/deepseek-chat");
    h.fake.script("main#0", 0, fail("rate_limit", { status: 429 }));
    h.fake.script("main#1", 0, fail("timeout"));
    const r = await h.router().chat(req());
    expect(r.entry.id).toBe("backup#0");
    expect(r.content).toBe("ok from backup#0 key 0");
    expect(h.fake.callsTo()).toEqual(["main#0/0", "main#1/0", "backup#0/0"]);
    expect(r.attempts.map((a) => a.reason ?? "ok")).toEqual(["rate_limit", "timeout", "ok"]);
  });

  it("starts a fallback group at its own counter", async () => {
    const h = harness({ primary: "main", fallbacks: ["backup"] });
    h.list.add("main", "openai/a");
    h.list.add("backup", "openai/b");
    h.list.add("backup", "openai/b");
    h.fake.setAlways("main#0", 0, fail("auth", { status: 401 }));
    const router = h.router();
    expect((await router.chat(req())).entry.id).toBe("backup#0");
    // main#0 now cools down and is skipped; backup's rotation moves on
    expect((await router.chat(req())).entry.id).toBe("backup#1");
    expect((await router.chat(req())).entry.id).toBe("backup#0");
    expect(h.fake.callsTo()).toEqual(["main#0/0", "backup#0/0", "backup#1/0", "backup#0/0"]);
  });

  it("never calls an entry twice in one pass when a fallback names the primary's own group (doc 002 production)", async () => {
    const h = harness({ primary: "production", fallbacks: ["production", "deepseek/deepseek-chat"] });
    h.list.add("production", "openai/gpt-4", { apiBase: "https://primary.api.com/v1", keys: ["primary-key"] });
    h.list.add("production", "openai/gpt-4", { apiBase: "https://backup.api.com/v1", keys: ["backup-key"] });
    h.fake.script("production#0", 0, fail("network"));
    h.fake.script("production#1", 0, fail("network"));
    const r = await h.router().chat(req());
    expect(r.entry.model).toBe("deepseek/deepseek-chat");
    expect(h.fake.callsTo()).toEqual(["production#0/0", "production#1/0", "deepseek/deepseek-chat/0"]);
  });

  it("drops entries already in the chain when a fallback names the same group by an alias", async () => {
    const h = harness({ primary: "production", fallbacks: ["prod", "backup"] }, { prod: "production" });
    h.list.add("production", "openai/gpt-4");
    h.list.add("production", "openai/gpt-4");
    h.list.add("backup", "openai/gpt-4o-mini");
    h.fake.setAlways("production#0", 0, fail("auth", { status: 401 }));
    h.fake.setAlways("production#1", 0, fail("auth", { status: 401 }));
    h.fake.setAlways("backup#0", 0, fail("auth", { status: 401 }));
    const router = h.router();
    const err = await router.chat(req()).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/^all 3 attempts failed/);
    expect(h.fake.callsTo()).toEqual(["production#0/0", "production#1/0", "backup#0/0"]);
    // the group was entered once, so its rotation moved by one
    expect(router.snapshot().groups).toEqual({ production: 1, backup: 1 });
  });

  it("falls back to a direct vendor/model reference", async () => {
    const h = harness({ primary: "qwen-main", fallbacks: ["deepseek/deepseek-chat"] });
    h.list.add("qwen-main", "openai/qwen3.5:cloud");
    h.fake.script("qwen-main#0", 0, fail("server_error", { status: 502 }));
    const r = await h.router().chat(req());
    expect(r.entry.model).toBe("deepseek/deepseek-chat");
    expect(r.entry.source).toBe("reference");
    expect(h.fake.calls[1]?.apiKey).toBe("sk-deepseek-direct-secret");
  });

  it("uses RouteOptions.model and .fallbacks instead of the defaults", async () => {
    const h = harness({ primary: "a", fallbacks: ["b"] });
    h.list.add("a", "openai/a");
    h.list.add("b", "openai/b");
    h.list.add("voice", "gemini/gemini-2.5-flash");
    h.list.add("c", "openai/c");
    h.fake.script("voice#0", 0, fail("overloaded"));
    const r = await h.router().chat(req(), { model: "voice", fallbacks: ["c"] });
    expect(r.entry.id).toBe("c#0");
    expect(h.fake.callsTo()).toEqual(["voice#0/0", "c#0/0"]);
  });

  it("resolves aliases through the directory", async () => {
    const h = harness({ primary: "smart", fallbacks: [] }, { smart: "claude-sonnet" });
    h.list.add("claude-sonnet", "anthropic/claude-sonnet-4.6");
    expect((await h.router().chat(req())).entry.id).toBe("claude-sonnet#0");
  });
});

describe("api_keys: key-level failover", () => {
  it("tries every key of an entry in order before the next entry, and skips cooling keys afterwards", async () => {
    const h = harness({ primary: "glm", fallbacks: ["other"] });
    h.list.add("glm", "zhipu/glm-4.7", { keys: ["k-zero-aaaa", "k-one-bbbb", "k-two-cccc"] });
    h.list.add("other", "openai/gpt-5.4");
    h.fake.script("glm#0", 0, fail("rate_limit", { status: 429 }));
    h.fake.script("glm#0", 1, fail("auth", { status: 401 }));
    const router = h.router();
    const r = await router.chat(req());
    expect(r.entry.id).toBe("glm#0");
    expect(h.fake.calls.map((c) => c.apiKey)).toEqual(["k-zero-aaaa", "k-one-bbbb", "k-two-cccc"]);
    expect(r.attempts.map((a) => a.keyIndex)).toEqual([0, 1, 2]);
    await router.chat(req());
    expect(h.fake.calls.at(-1)?.apiKey).toBe("k-two-cccc");
  });

  it("moves to the next entry when every key failed", async () => {
    const h = harness({ primary: "glm", fallbacks: ["other"] });
    h.list.add("glm", "zhipu/glm-4.7", { keys: ["k1-aaaa", "k2-bbbb"] });
    h.list.add("other", "openai/gpt-5.4");
    h.fake.setAlways("glm#0", 0, fail("billing", { status: 402 }));
    h.fake.setAlways("glm#0", 1, fail("billing", { status: 402 }));
    expect((await h.router().chat(req())).entry.id).toBe("other#0");
    expect(h.fake.callsTo()).toEqual(["glm#0/0", "glm#0/1", "other#0/0"]);
  });

  it("an entry without keys is one target with no key", async () => {
    const h = harness({ primary: "local", fallbacks: [] });
    h.list.add("local", "ollama/llama3", { keys: [] });
    const r = await h.router().chat(req());
    expect(r.attempts[0]?.keyIndex).toBe(0);
    expect(h.fake.calls[0]?.apiKey).toBeUndefined();
  });
});

describe("unknown and missing models", () => {
  it("skips a name that resolves to nothing, with one warning", async () => {
    const h = harness({ primary: "gone", fallbacks: ["there"] });
    h.list.add("there", "openai/x");
    const router = h.router();
    expect((await router.chat(req())).entry.id).toBe("there#0");
    await router.chat(req());
    const warnings = h.logLines.filter((l) => l.includes('skipping model \\"gone\\"'));
    expect(warnings).toHaveLength(1);
  });

  it("fails naming every unknown name when nothing resolves, without calling anything", async () => {
    const h = harness({ primary: "nope", fallbacks: ["nada"] });
    h.list.add("real", "openai/x");
    const err = await h.router().chat(req()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SwitchboardError);
    expect((err as SwitchboardError).code).toBe("not_found");
    expect((err as Error).message).toContain('"nope", "nada"');
    expect((err as Error).message).toContain("model_list");
    expect(h.fake.calls).toHaveLength(0);
  });

  it("says how to configure a model when there is no primary", async () => {
    const h = harness({ fallbacks: ["x"] });
    h.list.add("x", "openai/x");
    const err = await h.router().chat(req()).catch((e: unknown) => e);
    expect((err as SwitchboardError).code).toBe("usage");
    expect((err as Error).message).toContain("agents.defaults.model_name");
  });

  it("treats a group whose entries are all disabled as unusable", async () => {
    const h = harness({ primary: "off", fallbacks: ["on"] });
    h.list.add("off", "openai/x", { enabled: false });
    h.list.add("on", "openai/y");
    expect((await h.router().chat(req())).entry.id).toBe("on#0");
    expect(h.logLines.some((l) => l.includes("disabled"))).toBe(true);
  });
});
