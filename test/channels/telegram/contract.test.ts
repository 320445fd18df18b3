import { FakeTelegramApi } from "../../fakes/telegram-api.ts";
import { channelContract, type ChannelHarness } from "../contract.ts";

async function startHarness(): Promise<ChannelHarness> {
  const tg = await FakeTelegramApi.start();
  return {
    channel: "telegram",
    config: () => ({ token: tg.token, api_base: tg.url }),
    allowEntry: (id) => id,
    userSays: async (id, text) => void tg.userMessage({ chatId: Number(id), fromId: Number(id), text }),
    sentTo: (id) => tg.sent.filter((m) => String(m.chat_id) === id).map((m) => m.text ?? ""),
    // the held long poll's connection is cut and the next poll fails too: the adapter must back off and poll again
    dropConnection: async () => {
      tg.failNext("getUpdates", "disconnect");
      tg.dropHeldPolls();
    },
    close: () => tg.close(),
  };
}

channelContract("telegram", startHarness, { allowed: "3001", stranger: "3002" });
