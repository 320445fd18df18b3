// The Discord channel's definition: its config keys, required credentials
// and adapter-level checks. discord.js loads only when the adapter starts.
import { defineChannel, issuesOf } from "../../src/core/channel-definition.ts";
import { DISCORD_SETTINGS, resolveDiscordConfig } from "./config.ts";

export const discord = defineChannel({
  id: "discord",
  settings: DISCORD_SETTINGS,
  credentials: ["token"],
  check: (cfg) => issuesOf(() => resolveDiscordConfig(cfg)),
  create: async (cfg, deps) => {
    const { createDiscordAdapter } = await import("./adapter.ts");
    return createDiscordAdapter(cfg, { logger: deps.logger });
  },
});
