import { createDiscordAdapter } from "../../../channels/discord/adapter.ts";
import { silentLogger } from "../../../src/core/logger.ts";
import { FakeDiscord } from "../../fakes/discord/server.ts";
import { adapterContract } from "../adapter-contract.ts";

adapterContract("discord", async () => {
  const fake = await FakeDiscord.start({ heartbeatIntervalMs: 500 });
  const adapter = createDiscordAdapter({ token: fake.token, api_base: fake.apiBase }, { logger: silentLogger(), readyTimeoutMs: 10_000, stopTimeoutMs: 1_000 });
  return {
    adapter,
    chatId: fake.dmChannelId(),
    secret: fake.token,
    rateLimitNextSend: () => {
      fake.failNextMessage({ status: 429, retryAfter: 2.5 });
      return 2500;
    },
    // the token was reset in the Developer Portal: Discord answers 401 from then on
    rejectCredentials: () => fake.failNextMessage({ status: 401 }),
    close: () => fake.close(),
  };
});
