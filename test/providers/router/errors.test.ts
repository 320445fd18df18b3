// Classifying foreign errors, scrubbing secrets, and the all-failed line when
// there are many attempts.
import { describe, expect, it } from "vitest";
import { AllCandidatesFailedError, scrubMessage, toProviderError } from "../../../src/providers/router/index.ts";
import { ProviderError, type Attempt } from "../../../src/providers/types.ts";

describe("toProviderError", () => {
  it("keeps a ProviderError as it is", () => {
    const e = new ProviderError("billing", "no money", { status: 402 });
    expect(toProviderError(e)).toBe(e);
  });

  it("classifies timeouts, aborts, socket errors and the rest", () => {
    const timeout = Object.assign(new Error("The operation was aborted due to timeout"), { name: "TimeoutError" });
    expect(toProviderError(timeout).reason).toBe("timeout");
    const headers = new TypeError("fetch failed", { cause: Object.assign(new Error("x"), { code: "UND_ERR_HEADERS_TIMEOUT" }) });
    expect(toProviderError(headers).reason).toBe("timeout");
    const refused = new TypeError("fetch failed", { cause: Object.assign(new Error("connect"), { code: "ECONNREFUSED" }) });
    expect(toProviderError(refused).reason).toBe("network");
    expect(toProviderError(new TypeError("fetch failed")).reason).toBe("network");
    // only the caller's signal means "cancelled"; someone else's abort is a timeout and falls back
    expect(toProviderError(Object.assign(new Error("stop"), { name: "AbortError" })).reason).toBe("timeout");
    expect(toProviderError(new Error("odd")).reason).toBe("server_error");
    expect(toProviderError("a string").reason).toBe("server_error");
    expect(toProviderError(new Error("odd"), AbortSignal.abort()).reason).toBe("aborted");
  });
});

describe("scrubMessage", () => {
  it("removes known keys and credential-shaped text, and keeps one short line", () => {
    expect(scrubMessage("key my-custom-secret-key rejected", ["my-custom-secret-key"])).toBe("key [redacted] rejected");
    expect(scrubMessage("Authorization: Bearer abc.def.ghi failed")).toBe("Authorization: [redacted] failed");
    expect(scrubMessage("bad sk-proj-AbCdEf123456 here")).toBe("bad [redacted] here");
    expect(scrubMessage("url ?api_key=zzz123&x=1")).toBe("url ?api_key=[redacted]&x=1");
    expect(scrubMessage('{"token": "t0k3n"}')).toBe('{"token": "[redacted]"}');
    expect(scrubMessage("line one\n  line two")).toBe("line one line two");
    const long = scrubMessage("x".repeat(1000));
    expect(long.length).toBe(200);
    expect(long.endsWith("…")).toBe(true);
  });
});

describe("AllCandidatesFailedError with many attempts", () => {
  it("lists the last 12 and says how many were left out", () => {
    const attempts: Attempt[] = Array.from({ length: 15 }, (_, i) => ({
      entryId: `m#${i}`,
      modelName: "m",
      model: "openai/m",
      keyIndex: 0,
      ok: false,
      reason: "timeout",
      latencyMs: 5,
      at: 0,
    }));
    const e = new AllCandidatesFailedError(attempts);
    expect(e.message).toMatch(/^all 15 attempts failed: \(3 earlier not shown\); m#3 key1 timeout 5ms; /);
    expect(e.message).toContain("m#14 key1 timeout 5ms — the provider did not answer in time; raise request_timeout");
    expect(e.message).not.toContain("m#2 ");
    expect(e.lastReason).toBe("timeout");
  });
});
