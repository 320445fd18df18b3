// A QQ quote (message_type 103) as the v2 gateway dispatches it: the quoted
// content arrives in msg_elements, without its author.
import { describe, expect, it } from "vitest";
import { normalizeC2c, normalizeGroup } from "../../../channels/qq/normalize.ts";
import { C2cMessage, GroupMessage } from "../../../channels/qq/schema.ts";

const ctx = { appId: "1020304", download: async () => Buffer.alloc(0) };

describe("QQ: what a message quotes", () => {
  it("a group quote carries the quoted text (no author: QQ does not send one)", () => {
    const d = GroupMessage.parse({
      id: "ROBOT1.0_g1",
      content: " what does this mean?",
      timestamp: "2026-12-06T08:00:00+08:00",
      group_openid: "G0UP",
      author: { member_openid: "M3MB" },
      message_type: 103,
      message_scene: { source: "default", ext: ["msg_idx=REFIDX_b", "ref_msg_idx=REFIDX_a"] },
      msg_elements: [{ msg_idx: "REFIDX_a", message_type: 0, content: "Tickets sell out &amp; prices rise" }],
    });
    const msg = normalizeGroup(d, ctx);
    expect(msg?.text).toBe("what does this mean?");
    expect(msg?.replyTo).toEqual({ text: "Tickets sell out & prices rise" });
  });

  it("a direct quote of a picture-only message has an empty quoted text; other message types carry none", () => {
    const quote = normalizeC2c(C2cMessage.parse({ id: "c1", content: "nice", author: { user_openid: "U1" }, message_type: 103, msg_elements: [{ attachments: [{ content_type: "image/png", url: "https://example.invalid/x.png" }] }] }), ctx);
    expect(quote?.replyTo).toEqual({ text: "" });
    const plain = normalizeC2c(C2cMessage.parse({ id: "c2", content: "hi", author: { user_openid: "U1" }, message_type: 0 }), ctx);
    expect(plain?.replyTo).toBeUndefined();
  });
});

describe("QQ: an unexpected quote shape", () => {
  it("drops only the context, never the message", () => {
    const d = C2cMessage.parse({ id: "c3", content: "still here", author: { user_openid: "U1" }, message_type: "103", msg_elements: [{ content: 42 }, "junk"] });
    const msg = normalizeC2c(d, ctx);
    expect(msg?.text).toBe("still here");
    expect(msg?.replyTo).toBeUndefined();
  });
});
