// How a failed turn reads to an API client: status, code and Retry-After.
import { describe, expect, it } from "vitest";
import { SwitchboardError } from "../../src/core/errors.ts";
import { mapTurnError, routerRetryAfterMs } from "../../src/http/api/errors.ts";
import { AllCandidatesFailedError } from "../../src/providers/router/errors.ts";
import type { TargetSnapshot } from "../../src/providers/router/types.ts";
import { ProviderError, type Attempt } from "../../src/providers/types.ts";

const attempt = (entryId: string, reason: Attempt["reason"]): Attempt => ({ entryId, modelName: "m", model: "openai/m", keyIndex: 0, ok: false, reason, latencyMs: 5, at: 0 });
const target = (entryId: string, cooldownUntil: number | null): TargetSnapshot => ({
  key: `${entryId}|0`,
  entryId,
  modelName: "m",
  keyIndex: 0,
  cooldownUntil,
  errorCount: 1,
  lastError: null,
  lastSuccessAt: null,
  rpm: null,
});

describe("mapTurnError", () => {
  it("maps provider failures to 502/503/504 and an over-long conversation to 400", () => {
    expect(mapTurnError(new ProviderError("timeout", "timed out"))).toMatchObject({ status: 504, error: { code: "upstream_timeout" } });
    expect(mapTurnError(new ProviderError("rate_limit", "slow down", { retryAfterMs: 1500 }))).toMatchObject({ status: 503, retryAfterS: 2, error: { code: "rate_limited" } });
    expect(mapTurnError(new ProviderError("overloaded", "busy"))).toMatchObject({ status: 503, error: { code: "overloaded" } });
    expect(mapTurnError(new ProviderError("overloaded", "busy"))!.retryAfterS).toBeUndefined();
    expect(mapTurnError(new ProviderError("context_overflow", "too long"))).toMatchObject({ status: 400, error: { type: "invalid_request_error", code: "context_length_exceeded" } });
    expect(mapTurnError(new ProviderError("network", "refused"))).toMatchObject({ status: 502, error: { code: "upstream_network" } });
    expect(mapTurnError(new AllCandidatesFailedError([attempt("a#0", "server_error"), attempt("b#0", "timeout")]))).toMatchObject({ status: 504 });
  });

  it("says a gateway without a model is misconfigured, and leaves unknown errors to the caller", () => {
    expect(mapTurnError(new SwitchboardError("usage", "no model configured: set agents.defaults.model_name"))).toMatchObject({ status: 500, error: { code: "gateway_misconfigured", message: expect.stringMatching(/model_name/) } });
    expect(mapTurnError(new Error("boom"))).toBeUndefined();
  });

  it("takes Retry-After from the router when every target the request used is cooling down", () => {
    const err = new AllCandidatesFailedError([attempt("a#0", "rate_limit")]);
    const snap = (targets: TargetSnapshot[]) => ({ at: 1_000, targets, groups: {} });
    expect(routerRetryAfterMs(snap([target("a#0", 31_000), target("other#0", null)]), err)).toBe(30_000);
    expect(routerRetryAfterMs(snap([target("a#0", null)]), err)).toBeUndefined();
    expect(mapTurnError(err, () => routerRetryAfterMs(snap([target("a#0", 31_000)]), err))).toMatchObject({ status: 503, retryAfterS: 30 });
  });
});
