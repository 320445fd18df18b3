// The fake itself: its frame codec and the answers tests rely on.
import { afterEach, describe, expect, it } from "vitest";
import { decodeFrame, encodeFrame, headerOf, METHOD_DATA } from "./frames.ts";
import { FakeLark } from "./server.ts";
import { larkSignature } from "./webhook-sender.ts";

let lark: FakeLark | undefined;
afterEach(async () => {
  await lark?.close();
  lark = undefined;
});

describe("lark frame codec", () => {
  it("round-trips a data frame, large ids and binary payloads included", () => {
    const f = {
      seqId: 2 ** 40 + 5,
      logId: 300,
      service: 33554678,
      method: METHOD_DATA,
      headers: [
        { key: "type", value: "event" },
        { key: "message_id", value: "m-1" },
      ],
      payload: Buffer.from([0, 1, 2, 255]),
      logIdNew: "x",
    };
    const back = decodeFrame(encodeFrame(f));
    expect(back).toEqual(f);
    expect(headerOf(back, "message_id")).toBe("m-1");
  });

  it("refuses frames without the required fields and truncated ones", () => {
    expect(() => decodeFrame(Buffer.from([0x08, 0x00]))).toThrow(/required field 2/);
    const ok = encodeFrame({ seqId: 0, logId: 0, service: 1, method: 1, headers: [{ key: "k", value: "v" }] });
    expect(() => decodeFrame(ok.subarray(0, ok.length - 1))).toThrow(/truncated/);
  });
});

describe("fake lark REST", () => {
  it("hands out tokens only for the right credentials, with Feishu's codes", async () => {
    lark = await FakeLark.start();
    const post = (body: unknown) =>
      fetch(`${lark!.baseUrl}/open-apis/auth/v3/tenant_access_token/internal`, { method: "POST", body: JSON.stringify(body) }).then((r) => r.json());
    expect(await post({ app_id: lark.appId, app_secret: lark.appSecret })).toMatchObject({ code: 0, expire: 7200, tenant_access_token: lark.tokens[0] });
    expect(await post({ app_id: lark.appId, app_secret: "nope" })).toMatchObject({ code: 10014 });
    expect(await post({ app_id: "cli_0000000000000000", app_secret: lark.appSecret })).toMatchObject({ code: 10003 });
  });

  it("refuses calls without a valid token and replies to unknown messages with 231003", async () => {
    lark = await FakeLark.start();
    const info = await fetch(`${lark.baseUrl}/open-apis/bot/v3/info`, { headers: { authorization: "Bearer t-bogus" } }).then((r) => r.json());
    expect(info).toMatchObject({ code: 99991663 });
    const token = lark.issueToken();
    const reply = await fetch(`${lark.baseUrl}/open-apis/im/v1/messages/om_unknown/reply`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
      body: JSON.stringify({ msg_type: "text", content: JSON.stringify({ text: "x" }) }),
    }).then((r) => r.json());
    expect(reply).toMatchObject({ code: 231003 });
    expect(lark.sent).toEqual([]);
  });

  it("signs the way Feishu documents it: hex SHA-256 of timestamp + nonce + encrypt_key + body", () => {
    // computed independently: python3 hashlib.sha256(b'1700000000nonce123my-encrypt-key{"encrypt":"abc"}')
    expect(larkSignature("1700000000", "nonce123", "my-encrypt-key", '{"encrypt":"abc"}')).toBe("f8b7c218bb553a3f25059909f2d50eed99d9aaef117404ff92117bb24e4be785");
  });
});
