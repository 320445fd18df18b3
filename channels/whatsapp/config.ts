// The `channels.whatsapp` keys this adapter reads. Other keys of that block
// (enabled, allow_from, group_trigger, ...) belong to the gateway and are
// ignored here.
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { z } from "zod";
import { optUrl } from "../../src/core/config-fields.ts";
import { parseChannelConfig } from "../../src/core/channel-definition.ts";
import { streamingSetting } from "../../src/core/streaming-setting.ts";

export const DEFAULT_BRIDGE_URL = "ws://localhost:3001";
export const DEFAULT_AUTH_DIR = "whatsapp-auth";

/** "" in a config file means "not set" */
const blank = z.literal("").transform(() => undefined);

/**
 * channels.whatsapp as the config file holds it (types and defaults);
 * resolveWhatsAppConfig checks an enabled block further. `proxy` is accepted
 * for every channel but neither WhatsApp mode routes through it.
 */
export const WHATSAPP_SETTINGS = {
  streaming: streamingSetting("whatsapp", "WhatsApp", false),
  bridge_url: z.string().default(DEFAULT_BRIDGE_URL),
  use_native: z.boolean().default(false),
  session_store_path: z.string().default(""),
  proxy: optUrl,
};

export const WhatsAppConfigSchema = z.object({
  /** WebSocket of a WhatsApp bridge speaking the JSON bridge protocol (bridge mode) */
  bridge_url: z
    .url({
      protocol: /^wss?$/,
      error: 'channels.whatsapp.bridge_url must be a WebSocket URL such as "ws://localhost:3001" (ws:// or wss://)',
    })
    .or(blank)
    .optional(),
  /** true: talk to WhatsApp Web directly (baileys) instead of through a bridge */
  use_native: z.boolean({ error: "channels.whatsapp.use_native must be true or false" }).optional(),
  /** where the native mode keeps its linked-device credentials; default <SWITCHBOARD_HOME>/whatsapp-auth */
  session_store_path: z.string({ error: "channels.whatsapp.session_store_path must be a directory path (a string)" }).optional(),
});

export type WhatsAppConfig = z.input<typeof WhatsAppConfigSchema>;

export interface ResolvedWhatsAppConfig {
  mode: "bridge" | "native";
  bridgeUrl: string;
  /** absolute path of the native mode's credential directory */
  authDir: string;
}

/** Validates the config; the error names the key and the fix. */
export function resolveWhatsAppConfig(config: unknown, stateDir: string): ResolvedWhatsAppConfig {
  const c = parseChannelConfig("whatsapp", WhatsAppConfigSchema, config);
  return {
    mode: c.use_native ? "native" : "bridge",
    bridgeUrl: c.bridge_url ?? DEFAULT_BRIDGE_URL,
    authDir: resolveAuthDir(c.session_store_path, stateDir),
  };
}

/** "" → <stateDir>/whatsapp-auth; "~/x" → <home>/x; a relative path is taken from stateDir */
export function resolveAuthDir(path: string | undefined, stateDir: string): string {
  const p = path?.trim() ?? "";
  if (p === "") return join(stateDir, DEFAULT_AUTH_DIR);
  if (p === "~") return homedir();
  if (p.startsWith("~/")) return join(homedir(), p.slice(2));
  return isAbsolute(p) ? p : resolve(stateDir, p);
}

/** The URL without user info or query (either may hold a secret), for logs and status lines. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    u.search = "";
    u.hash = "";
    return u.toString().replace(/\/$/, "");
  } catch {
    return "(invalid URL)";
  }
}
