// The `channels.telegram` keys this adapter reads. Other keys of that block
// (enabled, allow_from, group_trigger, ...) belong to the gateway and are
// ignored here.
import { randomBytes } from "node:crypto";
import { isAbsolute, resolve } from "node:path";
import { z } from "zod";
import { optText, optUrl } from "../../src/core/config-fields.ts";
import { ChannelConfigError, parseChannelConfig } from "../../src/core/channel-definition.ts";
import { streamingSetting } from "../../src/core/streaming-setting.ts";

export const TELEGRAM_API_ROOT = "https://api.telegram.org";

const TOKEN_HELP = "paste the token @BotFather gave you, e.g. 123456:ABC-DEF...";

/** "" in a config file means "not set" */
const blank = z.literal("").transform(() => undefined);

/**
 * channels.telegram as the config file holds it (types and defaults; the
 * gateway adds enabled, allow_from and group_trigger). resolveTelegramConfig
 * checks an enabled block further.
 */
export const TELEGRAM_SETTINGS = {
  streaming: streamingSetting("telegram", "Telegram", true),
  token: z.string().default(""),
  api_base: optUrl,
  proxy: optUrl,
  mode: z.enum(["polling", "webhook"]).default("polling"),
  webhook_url: optUrl,
  webhook_secret: optText,
  allowed_updates: z.array(z.string()).optional(),
  local_mode: z.boolean().default(false),
  local_dir: optText,
};

export const TelegramConfigSchema = z.object({
  token: z
    .string({ error: `channels.telegram.token is missing: ${TOKEN_HELP}` })
    .trim()
    .min(1, `channels.telegram.token is empty: ${TOKEN_HELP}`)
    // only what would break the URL it goes into; Telegram judges the rest (a wrong token is an `auth` failure at start)
    .regex(/^[^\s/?#]+$/, `channels.telegram.token does not look like a bot token (it has spaces or slashes): ${TOKEN_HELP}`),
  /** Bot API server root, e.g. http://127.0.0.1:8081 for a self-hosted telegram-bot-api */
  api_base: z
    .url({ protocol: /^https?$/, error: "channels.telegram.api_base must be an http(s) URL such as http://127.0.0.1:8081 (the Bot API server root, without /bot<token>)" })
    .or(blank)
    .optional(),
  /** HTTP(S) proxy for every Bot API call and file download, e.g. http://127.0.0.1:7890 */
  proxy: z
    .url({ protocol: /^(https?|socks5?)$/, error: "channels.telegram.proxy must be a proxy URL such as http://127.0.0.1:7890 (http, https or socks5)" })
    .or(blank)
    .optional(),
  mode: z.enum(["polling", "webhook"], { error: 'channels.telegram.mode must be "polling" or "webhook"' }).optional(),
  /** public HTTPS URL Telegram posts updates to (webhook mode), ending in /webhook/telegram */
  webhook_url: z
    .url({ protocol: /^https?$/, error: "channels.telegram.webhook_url must be a URL such as https://bot.example.com/webhook/telegram" })
    .or(blank)
    .optional(),
  /** 1-256 characters A-Z a-z 0-9 _ -, sent back by Telegram in X-Telegram-Bot-Api-Secret-Token */
  webhook_secret: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,256}$/, "channels.telegram.webhook_secret must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
    .or(blank)
    .optional(),
  /** update types to receive; default ["message"] (the only kind this adapter reads) */
  allowed_updates: z.array(z.string()).optional(),
  /** the Bot API server runs with --local: getFile answers with paths on its disk */
  local_mode: z.boolean({ error: "channels.telegram.local_mode must be true or false" }).optional(),
  /** the --dir of that server, as this machine sees it; local files are read only inside it */
  local_dir: z.string().or(blank).optional(),
});

export type TelegramConfig = z.input<typeof TelegramConfigSchema>;

export interface ResolvedTelegramConfig {
  token: string;
  /** without trailing slash, as grammy's apiRoot wants it */
  apiRoot: string;
  proxy?: string;
  mode: "polling" | "webhook";
  webhookUrl?: string;
  /** the configured secret, or one made up for this process */
  webhookSecret: string;
  allowedUpdates: string[];
  /** local_mode: the directory absolute file paths must lie in */
  localDir?: string;
}

/** Validates the config; the error names the key and the fix, never the token. */
export function resolveTelegramConfig(config: unknown): ResolvedTelegramConfig {
  const c = parseChannelConfig("telegram", TelegramConfigSchema, config);
  const mode = c.mode ?? "polling";
  if (mode === "webhook" && !c.webhook_url) {
    throw new ChannelConfigError(
      "telegram",
      "webhook_url",
      'channels.telegram.webhook_url is required when mode is "webhook": set it to the public HTTPS URL of this gateway\'s /webhook/telegram route, or set mode to "polling"',
    );
  }
  if (c.local_mode && !c.local_dir) {
    throw new ChannelConfigError(
      "telegram",
      "local_dir",
      "channels.telegram.local_dir is required when local_mode is true: set it to the working directory (--dir) of your telegram-bot-api server as this machine sees it",
    );
  }
  if (c.local_dir && !isAbsolute(c.local_dir)) {
    throw new ChannelConfigError("telegram", "local_dir", `channels.telegram.local_dir must be an absolute path such as "/var/lib/telegram-bot-api"`);
  }
  return {
    token: c.token,
    apiRoot: (c.api_base ?? TELEGRAM_API_ROOT).replace(/\/+$/, ""),
    ...(c.proxy ? { proxy: c.proxy } : {}),
    mode,
    ...(c.webhook_url ? { webhookUrl: c.webhook_url } : {}),
    webhookSecret: c.webhook_secret ?? randomBytes(24).toString("base64url"),
    allowedUpdates: c.allowed_updates ?? ["message"],
    ...(c.local_mode && c.local_dir ? { localDir: resolve(c.local_dir) } : {}),
  };
}
