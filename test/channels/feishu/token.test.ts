// The tenant_access_token: fetched once and shared, refreshed five minutes
// before it expires, fetched again (and the call retried once) when Feishu
// says it is invalid; refused credentials explained without the secret.
import { afterEach, describe, expect, it } from "vitest";
import { ChannelError } from "../../../src/core/channel.ts";
import { ManualClock } from "../../../src/core/clock.ts";
import { silentLogger } from "../../../src/core/logger.ts";
import { FeishuCredentialsRejected, TenantTokenSource } from "../../../channels/feishu/token.ts";
import { FakeLark, p2pChatIdFor } from "../../fakes/lark/server.ts";
import { startHarness, type Harness } from "./harness.ts";

let lark: FakeLark | undefined;
let h: Harness | undefined;
afterEach(async () => {
  await lark?.close();
  await h?.close();
  lark = undefined;
  h = undefined;
});

function source(l: FakeLark, clock: ManualClock, secret = l.appSecret) {
  return new TenantTokenSource({ appId: l.appId, appSecret: secret, apiBase: l.baseUrl, clock, logger: silentLogger(), fetch: (u, i) => fetch(u, i) });
}

describe("feishu tenant_access_token", () => {
  it("fetches once and shares the token between concurrent callers", async () => {
    lark = await FakeLark.start();
    const tokens = source(lark, new ManualClock());
    const got = await Promise.all([tokens.get(), tokens.get(), tokens.get()]);
    expect(new Set(got)).toEqual(new Set([lark.tokens[0]]));
    expect(await tokens.get()).toBe(lark.tokens[0]);
    expect(lark.tokenRequests).toBe(1);
  });

  it("fetches a new token five minutes before the old one expires", async () => {
    lark = await FakeLark.start({ tokenTtlSeconds: 7200 });
    const clock = new ManualClock();
    const tokens = source(lark, clock);
    const first = await tokens.get();
    clock.advance((7200 - 5 * 60) * 1000 - 1);
    expect(await tokens.get()).toBe(first);
    expect(lark.tokenRequests).toBe(1);
    clock.advance(2);
    const second = await tokens.get();
    expect(second).not.toBe(first);
    expect(lark.tokenRequests).toBe(2);
  });

  it("uses a short-lived token for a while instead of refetching on every call", async () => {
    lark = await FakeLark.start({ tokenTtlSeconds: 60 });
    const clock = new ManualClock();
    const tokens = source(lark, clock);
    await tokens.get();
    clock.advance(5_000);
    await tokens.get();
    expect(lark.tokenRequests).toBe(1);
  });

  it("explains refused credentials without the secret", async () => {
    lark = await FakeLark.start();
    const wrong = "the-wrong-secret-0000";
    const err = await source(lark, new ManualClock(), wrong).get().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FeishuCredentialsRejected);
    expect((err as Error).message).toMatch(/code 10014.*check channels\.feishu\.app_id and channels\.feishu\.app_secret/);
    expect((err as Error).message).not.toContain(wrong);
  });

  it("says where it tried when the platform is unreachable", async () => {
    const gone = await FakeLark.start();
    const deadBase = gone.baseUrl;
    await gone.close();
    const tokens = new TenantTokenSource({
      appId: "cli_a1b2c3d4e5f60718",
      appSecret: "secret-never-shown",
      apiBase: deadBase,
      clock: new ManualClock(),
      logger: silentLogger(),
      fetch: (u, i) => fetch(u, i),
    });
    const err = (await tokens.get().catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/127\.0\.0\.1:\d+\/open-apis.*ECONNREFUSED.*channels\.feishu\.api_base/);
    expect(err.message).not.toContain("secret-never-shown");
  });
});

describe("feishu adapter: token expiry while running", () => {
  it("fetches a new token and tries once more when Feishu calls the token invalid (99991663)", async () => {
    h = await startHarness();
    await h.start();
    lark = undefined;
    const before = h.lark.tokenRequests;
    h.lark.invalidTokenOnce();
    const sent = await h.adapter.send(p2pChatIdFor("alice"), { text: "after expiry", format: "plain" });
    expect(sent.messageId).toBe(h.lark.sent.at(-1)?.messageId);
    expect(h.lark.tokenRequests).toBe(before + 1);
    expect(h.lark.textsIn(p2pChatIdFor("alice"))).toEqual(["after expiry"]);
  });

  it("recovers when every token was revoked", async () => {
    h = await startHarness();
    await h.start();
    h.lark.expireTokens();
    await h.adapter.send(p2pChatIdFor("alice"), { text: "still works", format: "plain" });
    expect(h.lark.textsIn(p2pChatIdFor("alice"))).toEqual(["still works"]);
  });

  it("gives up after one retry with an error the outbox retries later (neither permanent nor a rate limit)", async () => {
    h = await startHarness();
    await h.start();
    h.lark.invalidTokenOnce(2);
    const err = await h.adapter.send(p2pChatIdFor("alice"), { text: "x", format: "plain" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toMatchObject({ code: "permanent" });
    expect(err).not.toMatchObject({ code: "rate_limited" });
    expect((err as Error).message).toMatch(/99991663/);
    expect(h.lark.sent).toHaveLength(0);
    for (const t of h.lark.tokens) expect((err as Error).message).not.toContain(t);
  });
});
