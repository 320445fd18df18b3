// At run time the chain continues past vendors Switchboard cannot call, and
// a request-level failure (400, context overflow) shows in status with its
// reason without cooling the target down.
import { describe, expect, it } from "vitest";
import { fail, harness, req } from "./fake-client.ts";

describe("unsupported vendors at run time", () => {
  it("skips them with a warning and answers from the next model", async () => {
    const h = harness({ primary: "copilot", fallbacks: ["ok"] });
    h.list.add("copilot", "github-copilot/gpt-5");
    h.list.add("ok", "openai/m");
    const r = await h.router().chat(req());
    expect(r.entry.id).toBe("ok#0");
    expect(h.fake.callsTo()).toEqual(["ok#0/0"]);
    expect(h.logLines.join("")).toMatch(/GitHub Copilot .*not supported/);
  });
});

describe("request-level failures in status", () => {
  it("keeps a 400 and a context overflow as the last error, with no cooldown", async () => {
    const h = harness({ primary: "a", fallbacks: [] });
    h.list.add("a", "openai/m");
    h.fake.script("a#0", 0, fail("format", { status: 400, message: "HTTP 400: Unrecognized request argument supplied: foo" }));
    const router = h.router();
    await expect(router.chat(req())).rejects.toThrow(/Unrecognized request argument/);
    let t = router.snapshot().targets[0]!;
    expect(t).toMatchObject({ cooldownUntil: null, errorCount: 0, lastError: { reason: "format", status: 400, message: "HTTP 400: Unrecognized request argument supplied: foo" } });
    h.fake.script("a#0", 0, fail("context_overflow", { status: 400, message: "HTTP 400: maximum context length is 8192 tokens" }));
    await expect(router.chat(req())).rejects.toThrow(/context/);
    t = router.snapshot().targets[0]!;
    expect(t.lastError).toMatchObject({ reason: "context_overflow", status: 400 });
    expect(t.cooldownUntil).toBeNull();
  });
});
