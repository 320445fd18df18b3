// The Feishu side of the shared channel contract suite
// (test/channels/contract.ts): a fake Lark open platform that the daemon's
// Feishu adapter talks to over its default long connection, with users
// named by the suite ("alice", "bob", ...) mapped to stable open_ids and
// direct-chat ids.
//
//   channelContract("feishu", startHarness, { allowed: "alice", stranger: "bob" });
import { FakeLark, openIdFor, p2pChatIdFor, type FakeLarkOptions } from "../../fakes/lark/server.ts";
import type { ChannelHarness } from "../contract.ts";

export { openIdFor, p2pChatIdFor };

export async function startHarness(opts: FakeLarkOptions = {}): Promise<ChannelHarness & { fake: FakeLark }> {
  // reconnect at once after a drop, then every 200 ms (Feishu itself says 0-30 s, then 120 s)
  const fake = await FakeLark.start({ reconnectNonceSeconds: 0, reconnectIntervalSeconds: 0.2, ...opts });
  return {
    channel: "feishu",
    fake,
    config: () => ({ enabled: true, ...fake.config() }),
    allowEntry: (userId) => openIdFor(userId),
    async userSays(userId, text) {
      // queued by the fake until the bot is connected, like Feishu's own redelivery
      fake.userSays(userId, text);
    },
    sentTo: (userId) => fake.textsIn(p2pChatIdFor(userId)),
    dropConnection: () => fake.dropConnection(),
    close: () => fake.close(),
  };
}
