// The access token: fetched at start, reused, refreshed 60 s before it
// expires and at once when QQ stops accepting it; secrets never leak.
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../../src/core/clock.ts";
import { pause, startHarness, type Harness } from "./harness.ts";

let h: Harness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function started(...args: Parameters<typeof startHarness>): Promise<Harness> {
  h = await startHarness(...args);
  await h.start();
  return h;
}

const plain = (text: string) => ({ text, format: "plain" as const });

describe("QQ access token", () => {
  it("is fetched once at start with the app id and secret, then reused", async () => {
    const { fake, adapter } = await started();
    expect(fake.tokenRequests).toBe(1);
    fake.c2cMessage({ openid: "U1", text: "hi" });
    await h!.waitForMessages(1);
    await adapter.send("U1", plain("a"));
    await adapter.send("U1", plain("b"));
    await adapter.probe!();
    expect(fake.tokenRequests).toBe(1);
    const authorized = fake.requests.filter((r) => r.authorization);
    expect(new Set(authorized.map((r) => r.authorization))).toEqual(new Set([`QQBot ${fake.tokens[0]}`]));
  });

  it("is fetched again when QQ answers 401 for an expired token, and the call then succeeds", async () => {
    const { fake, adapter, logs } = await started();
    fake.c2cMessage({ openid: "U1", text: "hi" });
    await h!.waitForMessages(1);
    fake.expireToken();
    const res = await adapter.send("U1", plain("after expiry"));
    expect(res.messageId).toBe(fake.sent[0]!.id);
    expect(fake.tokenRequests).toBe(2);
    expect(fake.sent.map((s) => [s.content, s.msgSeq])).toEqual([["after expiry", 1]]);
    const posts = fake.requests.filter((r) => r.path === "/v2/users/U1/messages");
    expect(posts.map((r) => r.authorization)).toEqual([`QQBot ${fake.tokens[0]}`, `QQBot ${fake.tokens[1]}`]);
    expect(logs.join("\n")).toMatch(/no longer accepted; fetching a new one/);
  });

  it("is refreshed 60 s before it expires, without waiting for a refusal", async () => {
    const clock = new ManualClock();
    const { fake, adapter } = await started({ tokenTtlSeconds: 7200 }, { clock });
    fake.c2cMessage({ openid: "U1", text: "hi" });
    await h!.waitForMessages(1);
    clock.advance((7200 - 61) * 1000);
    await adapter.send("U1", plain("still the first token"));
    expect(fake.tokenRequests).toBe(1);
    clock.advance(2_000);
    await adapter.send("U1", plain("a fresh token"));
    expect(fake.tokenRequests).toBe(2);
    const posts = fake.requests.filter((r) => r.path === "/v2/users/U1/messages");
    expect(posts.map((r) => r.authorization)).toEqual([`QQBot ${fake.tokens[0]}`, `QQBot ${fake.tokens[1]}`]);
  });

  it("is fetched once for calls that need it at the same time", async () => {
    const { fake, adapter } = await started();
    fake.c2cMessage({ openid: "U1", text: "hi" });
    fake.c2cMessage({ openid: "U2", text: "hi" });
    await h!.waitForMessages(2);
    fake.expireToken();
    await Promise.all([adapter.send("U1", plain("x")), adapter.send("U2", plain("y")), adapter.probe!()]);
    // three 401s, one new token
    expect(fake.tokenRequests).toBe(2);
    expect(fake.sent).toHaveLength(2);
  });

  it("says plainly when QQ refuses the credentials later, and never shows the secret or a token", async () => {
    const { fake, adapter, logs, statuses } = await started();
    fake.c2cMessage({ openid: "U1", text: "hi" });
    await h!.waitForMessages(1);
    await adapter.send("U1", plain("fine"));
    (fake as unknown as { appSecret: string }).appSecret = "rotated-in-the-console";
    fake.expireToken();
    const err = (await adapter.send("U1", plain("now?")).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/QQ refused the bot credentials.*channels\.qq\.app_secret/);
    fake.failNextSend({ status: 500, code: 0, message: "oops" });
    fake.closeConnection(4004, "invalid token");
    await pause(100);
    const everything = [err.message, err.stack ?? "", ...statuses.map((s) => s.detail ?? ""), ...logs].join("\n");
    expect(everything).not.toContain("fakeQQsecret-0123456789abcdef");
    for (const token of fake.tokens) expect(everything).not.toContain(token);
    expect(everything).not.toContain("fakeQQtoken");
  });
});
