// The QQ side of the shared channel contract suite (test/channels/contract.ts):
// a fake QQ that the daemon's QQ adapter talks to, with users named by the
// suite ("alice", "bob", ...) mapped to stable openids.
//
//   channelContract("qq", startHarness, { allowed: "alice", stranger: "bob" });
import { createHash } from "node:crypto";
import { FakeQq, type FakeQqOptions } from "../../fakes/qq/server.ts";
import type { ChannelHarness } from "../contract.ts";

/** the openid the fake gives user `userId` (32 upper-case hex digits, like QQ's) */
export function openidFor(userId: string): string {
  return createHash("md5").update(`qq-user:${userId}`).digest("hex").toUpperCase();
}

export async function startHarness(opts: FakeQqOptions = {}): Promise<ChannelHarness & { fake: FakeQq }> {
  const fake = await FakeQq.start({ heartbeatIntervalMs: 30_000, ...opts });
  return {
    channel: "qq",
    fake,
    config: () => ({ enabled: true, ...fake.config() }),
    allowEntry: (userId) => openidFor(userId),
    async userSays(userId, text) {
      // a message can only reach a bot that has (or had) a gateway session
      await fake.waitFor(() => fake.gateway.sessionId !== undefined, "the bot's gateway session", 15_000);
      fake.c2cMessage({ openid: openidFor(userId), text });
    },
    sentTo: (userId) => {
      const openid = openidFor(userId);
      return fake.sent.filter((m) => m.kind === "user" && m.target === openid).map((m) => m.content);
    },
    dropConnection: async () => fake.dropConnection(),
    close: () => fake.close(),
  };
}
