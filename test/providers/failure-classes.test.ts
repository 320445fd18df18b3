// Every vendor's documented quota and billing signals become `billing`, key
// problems `auth`, context overflow its own reason; and the one classifier for
// thrown errors treats only the caller's abort as "aborted".
import { describe, expect, it } from "vitest";
import { classifyHttp, classifyThrown } from "../../src/providers/failure.ts";

const reason = (status: number, body: unknown) => classifyHttp(status, body).reason;

describe("billing signals", () => {
  it.each([
    ["OpenAI insufficient_quota (sent as 429)", 429, { error: { message: "You exceeded your current quota, please check your plan and billing details.", type: "insufficient_quota", code: "insufficient_quota" } }],
    ["Anthropic credit balance", 400, { type: "error", error: { type: "invalid_request_error", message: "Your credit balance is too low to access the Anthropic API." } }],
    ["Zhipu 1113", 429, { error: { code: "1113", message: "余额不足或无可用资源包,请充值。" } }],
    ["Zhipu 1113 as a number", 400, { error: { code: 1113, message: "Insufficient balance" } }],
    ["DeepSeek 402", 402, { error: { message: "Insufficient Balance", type: "unknown_error" } }],
    ["OpenRouter 402", 402, { error: { message: "Insufficient credits. Add more using https://openrouter.ai/credits", code: 402 } }],
    ["Moonshot quota", 429, { error: { type: "exceeded_current_quota_error", message: "Your account is suspended, please check your plan and billing details" } }],
    ["DashScope arrearage", 400, { code: "Arrearage", message: "Access denied, please make sure your account is in good standing." }],
    ["VolcEngine overdue", 403, { error: { code: "AccountOverdueError", message: "The request failed because your account has an overdue balance." } }],
    ["MiniMax 1008", 200, { base_resp: { status_code: 1008, status_msg: "insufficient balance" } }],
  ])("%s → billing", (_name, status, body) => {
    expect(reason(status, body)).toBe("billing");
  });
});

describe("other classes", () => {
  it("keys, rate limits, context overflow and bad requests", () => {
    expect(reason(401, { error: { code: "invalid_api_key", message: "Incorrect API key provided" } })).toBe("auth");
    expect(reason(401, { error: { code: "1002", message: "Authorization Token非法" } })).toBe("auth");
    expect(reason(429, { error: { code: "1302", message: "您当前使用该API的并发数过高" } })).toBe("rate_limit");
    expect(reason(400, { error: { code: "context_length_exceeded", message: "This model's maximum context length is 128000 tokens." } })).toBe("context_overflow");
    expect(reason(400, { error: { code: "1261", message: "Prompt 超长" } })).toBe("context_overflow");
    expect(reason(400, { error: { message: "Unrecognized request argument supplied: foo" } })).toBe("format");
    expect(reason(400, { error: { message: "max_tokens must be at most 1000" } })).toBe("format");
  });

  it("treats only the caller's abort as aborted; any other abort is a timeout that falls back", () => {
    const abort = Object.assign(new Error("This operation was aborted"), { name: "AbortError" });
    expect(classifyThrown(abort).reason).toBe("timeout");
    expect(classifyThrown(abort, AbortSignal.abort()).reason).toBe("aborted");
    expect(classifyThrown(new TypeError("fetch failed", { cause: Object.assign(new Error("x"), { code: "ECONNREFUSED" }) })).reason).toBe("network");
    expect(classifyThrown(new Error("odd")).reason).toBe("server_error");
  });
});

describe("Retry-After on an error answer", () => {
  it("is read from fetch's Headers, from a plain record, and from the lean fetch's answer headers before any SDK made them Headers", () => {
    // the lean fetch's answers read like Headers (get, has, entries) but are instances of it only once a model SDK linked them
    const answerLike = { get: (k: string) => ({ "retry-after": "7" })[k.toLowerCase()] ?? null, has: () => true };
    expect(answerLike instanceof Headers).toBe(false);
    expect(classifyHttp(429, {}, answerLike as unknown as Headers).retryAfterMs).toBe(7000);
    expect(classifyHttp(429, {}, new Headers({ "Retry-After": "2" })).retryAfterMs).toBe(2000);
    expect(classifyHttp(429, {}, { "retry-after-ms": "1500" }).retryAfterMs).toBe(1500);
    expect(classifyHttp(429, {}, {}).retryAfterMs).toBeUndefined();
  });
});
