import { FakeDiscord } from "../../fakes/discord/server.ts";
import { channelContract, type ChannelHarness } from "../contract.ts";

async function startHarness(): Promise<ChannelHarness> {
  const dc = await FakeDiscord.start();
  const users = { alice: dc.alice, bob: dc.bob };
  return {
    channel: "discord",
    config: () => ({ token: dc.token, api_base: dc.apiBase }),
    allowEntry: (name) => users[name as "alice" | "bob"].id,
    userSays: async (name, text) => void dc.dm(text, { author: users[name as "alice" | "bob"] }),
    sentTo: (name) => {
      const channel = dc.dmChannelId(users[name as "alice" | "bob"]);
      return dc.sent.filter((m) => m.channelId === channel).map((m) => m.body.content ?? "");
    },
    dropConnection: async () => dc.dropConnection(),
    close: () => dc.close(),
  };
}

channelContract("discord", startHarness, { allowed: "alice", stranger: "bob" });
