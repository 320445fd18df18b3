import { createTelegramAdapter } from "../../../channels/telegram/adapter.ts";
import { silentLogger } from "../../../src/core/logger.ts";
import { FakeTelegramApi } from "../../fakes/telegram-api.ts";
import { adapterContract } from "../adapter-contract.ts";

adapterContract("telegram", async () => {
  const tg = await FakeTelegramApi.start();
  const adapter = createTelegramAdapter({ token: tg.token, api_base: tg.url }, { logger: silentLogger(), pollTimeoutSeconds: 1, initialBackoffMs: 10, maxBackoffMs: 50 });
  return {
    adapter,
    chatId: "555",
    secret: tg.token.split(":")[1]!,
    rateLimitNextSend: () => {
      tg.failNext("sendMessage", { error_code: 429, description: "Too Many Requests: retry after 7", parameters: { retry_after: 7 } });
      return 7000;
    },
    rejectCredentials: () => tg.failNext("sendMessage", { error_code: 401, description: "Unauthorized" }),
    close: () => tg.close(),
  };
});
