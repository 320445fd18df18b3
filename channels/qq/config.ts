// The `channels.qq` keys this adapter reads. Other keys of that block
// (enabled, allow_from, group_trigger) belong to the gateway and are ignored
// here.
import { z } from "zod";
import { idText, optUrl } from "../../src/core/config-fields.ts";
import { parseChannelConfig } from "../../src/core/channel-definition.ts";
import { streamingSetting } from "../../src/core/streaming-setting.ts";

export const QQ_API_BASE = "https://api.sgroup.qq.com";
export const QQ_SANDBOX_API_BASE = "https://sandbox.api.sgroup.qq.com";
export const QQ_TOKEN_URL = "https://bots.qq.com/app/getAppAccessToken";

const CONSOLE = "the QQ open platform console (q.qq.com → your bot → 开发管理 / Development)";

/** "" in a config file (an unset ${VAR}) means "not given" */
const blank = z.literal("").transform(() => undefined);

function httpUrl(key: string, example: string) {
  return z
    .url({ protocol: /^https?$/, error: `channels.qq.${key} must be an http:// or https:// URL such as ${example}` })
    .or(blank)
    .optional();
}

/** channels.qq as the config file holds it (types and defaults); resolveQqConfig checks an enabled block further. */
export const QQ_SETTINGS = {
  streaming: streamingSetting("qq", "QQ", false),
  app_id: idText.default(""),
  app_secret: z.string().default(""),
  sandbox: z.boolean().default(false),
  api_base: optUrl,
  token_url: optUrl,
  proxy: optUrl,
};

export const QqConfigSchema = z.object({
  app_id: z
    .union([z.string(), z.number().int().nonnegative().transform(String)], {
      error: `channels.qq.app_id is missing: copy the AppID from ${CONSOLE}`,
    })
    .pipe(z.string().trim().min(1, `channels.qq.app_id is empty: copy the AppID from ${CONSOLE}`)),
  app_secret: z
    .string({ error: `channels.qq.app_secret is missing: copy the AppSecret from ${CONSOLE}` })
    .trim()
    .min(1, `channels.qq.app_secret is empty: copy the AppSecret from ${CONSOLE}`),
  /** talk to QQ's sandbox environment (https://sandbox.api.sgroup.qq.com) */
  sandbox: z.boolean({ error: "channels.qq.sandbox must be true or false" }).optional(),
  /** REST root, e.g. https://api.sgroup.qq.com (tests, self-hosted relays); wins over `sandbox` */
  api_base: httpUrl("api_base", "https://api.sgroup.qq.com"),
  /** access-token endpoint, default https://bots.qq.com/app/getAppAccessToken */
  token_url: httpUrl("token_url", "https://bots.qq.com/app/getAppAccessToken"),
  /** HTTP(S) proxy for REST calls and attachment downloads (not the gateway WebSocket) */
  proxy: httpUrl("proxy", "http://127.0.0.1:7890"),
});

export type QqConfig = z.input<typeof QqConfigSchema>;

export interface ResolvedQqConfig {
  appId: string;
  appSecret: string;
  sandbox: boolean;
  /** REST root without a trailing slash */
  apiBase: string;
  tokenUrl: string;
  proxy?: string;
}

/** Validates the config; the error names the key and the fix, never the secret. */
export function resolveQqConfig(config: unknown): ResolvedQqConfig {
  const c = parseChannelConfig("qq", QqConfigSchema, config);
  const sandbox = c.sandbox ?? false;
  return {
    appId: c.app_id,
    appSecret: c.app_secret,
    sandbox,
    apiBase: (c.api_base ?? (sandbox ? QQ_SANDBOX_API_BASE : QQ_API_BASE)).replace(/\/+$/, ""),
    tokenUrl: c.token_url ?? QQ_TOKEN_URL,
    ...(c.proxy ? { proxy: c.proxy } : {}),
  };
}
