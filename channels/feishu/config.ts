// The `channels.feishu` keys this adapter reads. Other keys of that block
// (enabled, allow_from, group_trigger) belong to the gateway and are ignored
// here. `domain`, `mode` and `api_base` are Switchboard's additions to the
// PicoClaw block (app_id, app_secret, encrypt_key, verification_token).
import { z } from "zod";
import { idText, optUrl } from "../../src/core/config-fields.ts";
import { ChannelConfigError, parseChannelConfig } from "../../src/core/channel-definition.ts";
import { streamingSetting } from "../../src/core/streaming-setting.ts";

export const FEISHU_API_BASE = "https://open.feishu.cn";
export const LARK_API_BASE = "https://open.larksuite.com";

const CONSOLE = "the developer console (open.feishu.cn/app, or open.larksuite.com/app for Lark) → your app → Credentials & Basic Info";
const EVENTS = "the developer console → your app → Events & Callbacks → Encryption Strategy";

/** "" in a config file (an unset ${VAR}) means "not given" */
const blank = z.literal("").transform(() => undefined);

function optionalSecret(key: string) {
  return z
    .string({ error: `channels.feishu.${key} must be a string (copy it from ${EVENTS}), or "" for none` })
    .trim()
    .transform((s) => (s === "" ? undefined : s))
    .optional();
}

/**
 * channels.feishu as the config file holds it (types and defaults);
 * resolveFeishuConfig checks an enabled block further. `proxy` is accepted for
 * every channel; the Feishu SDK does not route through it.
 */
export const FEISHU_SETTINGS = {
  streaming: streamingSetting("feishu", "Feishu", true),
  app_id: idText.default(""),
  app_secret: z.string().default(""),
  encrypt_key: z.string().default(""),
  verification_token: z.string().default(""),
  domain: z.enum(["feishu", "lark"]).default("feishu"),
  mode: z.enum(["websocket", "webhook"]).default("websocket"),
  api_base: optUrl,
  proxy: optUrl,
};

export const FeishuConfigSchema = z.object({
  app_id: z
    .string({ error: `channels.feishu.app_id is missing: copy the App ID (cli_...) from ${CONSOLE}` })
    .trim()
    .min(1, `channels.feishu.app_id is empty: copy the App ID (cli_...) from ${CONSOLE}`),
  app_secret: z
    .string({ error: `channels.feishu.app_secret is missing: copy the App Secret from ${CONSOLE}` })
    .trim()
    .min(1, `channels.feishu.app_secret is empty: copy the App Secret from ${CONSOLE}`),
  /** decrypts webhook bodies {"encrypt": ...} and checks X-Lark-Signature */
  encrypt_key: optionalSecret("encrypt_key"),
  /** compared with the token Feishu puts in every webhook event */
  verification_token: optionalSecret("verification_token"),
  domain: z.enum(["feishu", "lark"], { error: 'channels.feishu.domain must be "feishu" (open.feishu.cn) or "lark" (open.larksuite.com)' }).optional(),
  mode: z
    .enum(["websocket", "webhook"], {
      error: 'channels.feishu.mode must be "websocket" (long connection, no public URL needed) or "webhook" (Feishu POSTs to /webhook/feishu)',
    })
    .optional(),
  /** open-platform root, e.g. https://open.feishu.cn (tests, private deployments); wins over `domain` */
  api_base: z
    .url({ protocol: /^https?$/, error: "channels.feishu.api_base must be an http(s) URL such as https://open.feishu.cn (the open-platform root, without /open-apis)" })
    .or(blank)
    .optional(),
});

export type FeishuConfig = z.input<typeof FeishuConfigSchema>;

export interface ResolvedFeishuConfig {
  appId: string;
  appSecret: string;
  encryptKey?: string;
  verificationToken?: string;
  domain: "feishu" | "lark";
  mode: "websocket" | "webhook";
  /** open-platform root without a trailing slash; REST and the long-connection endpoint live under it */
  apiBase: string;
}

/** The SDK's long connection silently refuses any other app id, so it is checked here with a reason. */
const WS_APP_ID = /^cli_[0-9a-fA-F]{16}$/;

/** Validates the config; the error names the key and the fix, never a secret. */
export function resolveFeishuConfig(config: unknown): ResolvedFeishuConfig {
  const c = parseChannelConfig("feishu", FeishuConfigSchema, config);
  const mode = c.mode ?? "websocket";
  const domain = c.domain ?? "feishu";
  if (mode === "websocket" && !WS_APP_ID.test(c.app_id)) {
    throw new ChannelConfigError(
      "feishu",
      "app_id",
      `channels.feishu.app_id does not look like a Feishu/Lark App ID ("cli_" and 16 hex digits); the long connection accepts no other. Copy it from ${CONSOLE}`,
    );
  }
  if (mode === "webhook" && !c.verification_token && !c.encrypt_key) {
    throw new ChannelConfigError(
      "feishu",
      "verification_token",
      `channels.feishu: webhook mode needs channels.feishu.verification_token (or channels.feishu.encrypt_key) to tell Feishu's calls from anyone else's; copy them from ${EVENTS}`,
    );
  }
  return {
    appId: c.app_id,
    appSecret: c.app_secret,
    ...(c.encrypt_key ? { encryptKey: c.encrypt_key } : {}),
    ...(c.verification_token ? { verificationToken: c.verification_token } : {}),
    domain,
    mode,
    apiBase: (c.api_base ?? (domain === "lark" ? LARK_API_BASE : FEISHU_API_BASE)).replace(/\/+$/, ""),
  };
}
