// The `channels.telegram` keys this adapter reads. Other keys of that block
// (enabled, allow_from, group_trigger, ...) belong to the gateway and are
// ignored here.
import { randomBytes } from "node:crypto";
import { z } from "zod";

export const TELEGRAM_API_ROOT = "https://api.telegram.org";

const TOKEN_HELP = "paste the token @BotFather gave you, e.g. 123456:ABC-DEF...";

/** "" in a config file means "not set" */
const blank = z.literal("").transform(() => undefined);

export const TelegramConfigSchema = z.object({
  token: z
    .string({ error: `channels.telegram.token is missing: ${TOKEN_HELP}` })
    .trim()
    .min(1, `channels.telegram.token is empty: ${TOKEN_HELP}`)
    .regex(/^\d+:[\w-]+$/, `channels.telegram.token does not look like a bot token (digits, a colon, then letters): ${TOKEN_HELP}`),
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
}

/** Validates the config; the error names the key and the fix, never the token. */
export function resolveTelegramConfig(config: unknown): ResolvedTelegramConfig {
  const parsed = TelegramConfigSchema.safeParse(config ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = issue?.path.length ? `channels.telegram.${issue.path.join(".")}` : "channels.telegram";
    const text = issue?.message ?? "invalid";
    throw new Error(text.startsWith("channels.telegram") ? text : `${key}: ${text}`);
  }
  const c = parsed.data;
  const mode = c.mode ?? "polling";
  if (mode === "webhook" && !c.webhook_url) {
    throw new Error(
      'channels.telegram.webhook_url is required when mode is "webhook": set it to the public HTTPS URL of this gateway\'s /webhook/telegram route, or set mode to "polling"',
    );
  }
  return {
    token: c.token,
    apiRoot: (c.api_base ?? TELEGRAM_API_ROOT).replace(/\/+$/, ""),
    ...(c.proxy ? { proxy: c.proxy } : {}),
    mode,
    ...(c.webhook_url ? { webhookUrl: c.webhook_url } : {}),
    webhookSecret: c.webhook_secret ?? randomBytes(24).toString("base64url"),
    allowedUpdates: c.allowed_updates ?? ["message"],
  };
}
