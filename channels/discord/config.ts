// The `channels.discord` keys this adapter reads. Other keys of that block
// (enabled, allow_from, group trigger, ...) belong to the gateway and are
// ignored here.
import { z } from "zod";
import { optUrl } from "../../src/core/config-fields.ts";
import { parseChannelConfig } from "../../src/core/channel-definition.ts";
import { streamingSetting } from "../../src/core/streaming-setting.ts";

export const DISCORD_API_ROOT = "https://discord.com/api";

/** channels.discord as the config file holds it (types and defaults); resolveDiscordConfig checks an enabled block further. */
export const DISCORD_SETTINGS = {
  streaming: streamingSetting("discord", "Discord", true),
  token: z.string().default(""),
  api_base: optUrl,
  proxy: optUrl,
};

export const DiscordConfigSchema = z.object({
  token: z
    .string({ error: "channels.discord.token is missing: paste the bot token from the Discord Developer Portal (Bot → Reset Token)" })
    .trim()
    .min(1, "channels.discord.token is empty: paste the bot token from the Discord Developer Portal (Bot → Reset Token)"),
  /** HTTP(S) proxy for REST calls and attachment downloads, e.g. http://127.0.0.1:7890 */
  proxy: z
    .url({ protocol: /^https?$/, error: "channels.discord.proxy must be an http:// or https:// URL such as http://127.0.0.1:7890" })
    .optional(),
  /** REST root before /v10, e.g. https://discord.com/api (tests, self-hosted API proxies) */
  api_base: z
    .url({ protocol: /^https?$/, error: "channels.discord.api_base must be an http:// or https:// URL such as https://discord.com/api" })
    .optional(),
});

export type DiscordConfig = z.input<typeof DiscordConfigSchema>;

export interface ResolvedDiscordConfig {
  /** bare token, without a "Bot " prefix */
  token: string;
  proxy?: string;
  /** REST root without trailing slash or version, as @discordjs/rest's `api` option wants it */
  apiRoot: string;
}

/** Validates the config; the error names the key and the fix, never the token. */
export function resolveDiscordConfig(config: unknown): ResolvedDiscordConfig {
  const { token, proxy, api_base } = parseChannelConfig("discord", DiscordConfigSchema, config);
  return {
    token: token.replace(/^Bot\s+/i, ""),
    ...(proxy ? { proxy } : {}),
    apiRoot: normalizeApiRoot(api_base ?? DISCORD_API_ROOT),
  };
}

/** "https://x/api/", "https://x/api/v10" → "https://x/api" */
export function normalizeApiRoot(url: string): string {
  return url.replace(/\/+$/, "").replace(/\/v\d+$/, "");
}
