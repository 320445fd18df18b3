import { describe, expect, it } from "vitest";
import { DM_SCOPES, sessionKeyFor, type Peer } from "../../src/agent/session-key.ts";

const dm = (over: Partial<Peer> = {}): Peer => ({ channel: "telegram", chatId: "555", chatType: "direct", senderId: "42", ...over });
const group = (over: Partial<Peer> = {}): Peer => ({ channel: "discord", chatId: "g1", chatType: "group", senderId: "42", ...over });

describe("sessionKeyFor", () => {
  it("direct chats follow dm_scope", () => {
    expect(sessionKeyFor(dm(), "main")).toBe("main");
    expect(sessionKeyFor(dm(), "per-peer")).toBe("dm:42");
    expect(sessionKeyFor(dm(), "per-channel-peer")).toBe("telegram:dm:42");
    expect(sessionKeyFor(dm({ accountId: "work-bot" }), "per-account-channel-peer")).toBe("telegram:work-bot:dm:42");
    expect(sessionKeyFor(dm(), "per-account-channel-peer")).toBe("telegram:default:dm:42");
  });

  it("defaults to per-channel-peer", () => {
    expect(sessionKeyFor(dm())).toBe("telegram:dm:42");
  });

  it("per-peer shares one session across channels; per-channel-peer does not", () => {
    const onDiscord = dm({ channel: "discord", chatId: "dm-9" });
    expect(sessionKeyFor(onDiscord, "per-peer")).toBe(sessionKeyFor(dm(), "per-peer"));
    expect(sessionKeyFor(onDiscord, "per-channel-peer")).not.toBe(sessionKeyFor(dm(), "per-channel-peer"));
    expect(sessionKeyFor(onDiscord, "main")).toBe(sessionKeyFor(dm(), "main"));
  });

  it("groups ignore dm_scope and split by thread or topic", () => {
    for (const scope of DM_SCOPES) {
      expect(sessionKeyFor(group(), scope)).toBe("discord:group:g1");
      expect(sessionKeyFor(group({ threadId: "t7" }), scope)).toBe("discord:group:g1:thread:t7");
    }
    // different senders in one group share it
    expect(sessionKeyFor(group({ senderId: "1" }))).toBe(sessionKeyFor(group({ senderId: "2" })));
  });

  it("keeps keys safe: separators, spaces and unicode in ids are encoded without collisions", () => {
    const odd = sessionKeyFor(dm({ senderId: "a:b c/ü" }));
    expect(odd).toBe("telegram:dm:a%3Ab%20c%2F%C3%BC");
    expect(odd.split(":")).toHaveLength(3);
    expect(sessionKeyFor(dm({ senderId: "a:b" }))).not.toBe(sessionKeyFor(dm({ senderId: "a_b" })));
    expect(sessionKeyFor(group({ chatId: "-100123", threadId: "4" }))).toBe("discord:group:-100123:thread:4");
    expect(sessionKeyFor(dm({ senderId: "" }))).toBe("telegram:dm:(none)");
    expect(sessionKeyFor(dm({ senderId: "(none)" }))).toBe("telegram:dm:%28none%29");
    expect(sessionKeyFor(dm({ senderId: "x\ny" }))).not.toMatch(/\s/);
  });
});
