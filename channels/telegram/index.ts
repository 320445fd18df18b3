// The Telegram channel's definition: its config keys, required credentials,
// adapter-level checks and webhook route. grammy loads only in create().
import { defineChannel, issuesOf } from "../../src/core/channel-definition.ts";
import { resolveTelegramConfig, TELEGRAM_SETTINGS } from "./config.ts";

export const telegram = defineChannel({
  id: "telegram",
  settings: TELEGRAM_SETTINGS,
  credentials: ["token"],
  check: (cfg) => issuesOf(() => resolveTelegramConfig(cfg)),
  webhook: { path: "/webhook/telegram" },
  pullsUpdates: (cfg) => cfg.mode !== "webhook",
  create: async (cfg, deps) => {
    const { createTelegramAdapter } = await import("./adapter.ts");
    return createTelegramAdapter(cfg, { logger: deps.logger });
  },
});
