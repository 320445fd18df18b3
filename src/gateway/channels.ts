// Which channels the config enables, and how each adapter is loaded. A
// channel's module (and with it its SDK) is imported only when the channel
// is enabled, so a gateway with one channel does not pay for five.
import type { ChannelAdapter } from "../core/channel.ts";
import type { Logger } from "../core/logger.ts";
import { channelPolicy } from "./access.ts";
import type { ChannelPolicy } from "./pipeline.ts";

/** The config's channels section as the gateway reads it (one loose record per channel). */
export type ChannelsConfig = Record<string, (Record<string, unknown> & { enabled?: boolean; allow_from?: (string | number)[] }) | undefined>;

export interface LoadedChannel {
  id: string;
  adapter: ChannelAdapter;
  policy: ChannelPolicy;
  /** JSON of the channel's config, to tell whether a reload changed it */
  fingerprint: string;
  /** true for channels that pull updates (polling): they stop reading while every turn slot is taken */
  holdsReading?: boolean;
  /** webhook route → handler, when the channel runs in webhook mode */
  webhook?: { path: string; handle: (headers: Record<string, string | string[] | undefined>, body: unknown) => Promise<{ status: number; body?: string; headers?: Record<string, string> }> };
}

type Loader = (cfg: Record<string, unknown>, logger: Logger, stateDir: string) => Promise<Omit<LoadedChannel, "policy" | "fingerprint" | "id">>;

const LOADERS: Record<string, Loader> = {
  telegram: async (cfg, logger) => {
    const { createTelegramAdapter } = await import("../../channels/telegram/adapter.ts");
    const adapter = createTelegramAdapter(cfg as never, { logger });
    if (cfg.mode === "webhook") return { adapter, webhook: { path: "/webhook/telegram", handle: (h, b) => adapter.handleWebhook(h, b) } };
    return { adapter, holdsReading: true };
  },
  discord: async (cfg, logger) => {
    const { createDiscordAdapter } = await import("../../channels/discord/adapter.ts");
    return { adapter: createDiscordAdapter(cfg as never, { logger }) };
  },
  feishu: async (cfg, logger, stateDir) => {
    const { createFeishuAdapter, WEBHOOK_PATH } = await import("../../channels/feishu/adapter.ts");
    const adapter = createFeishuAdapter(cfg, { logger, stateDir });
    if (cfg.mode === "webhook") return { adapter, webhook: { path: WEBHOOK_PATH, handle: (h, b) => adapter.handleWebhook(h, b) } };
    return { adapter };
  },
  whatsapp: async (cfg, logger, stateDir) => {
    const { createWhatsAppAdapter } = await import("../../channels/whatsapp/adapter.ts");
    return { adapter: createWhatsAppAdapter(cfg, { logger, stateDir }) };
  },
  qq: async (cfg, logger, stateDir) => {
    const { createQqAdapter } = await import("../../channels/qq/adapter.ts");
    return { adapter: createQqAdapter(cfg, { logger, stateDir }) };
  },
};

export function knownChannels(): string[] {
  return Object.keys(LOADERS);
}

/** Required credentials per channel, to refuse an enabled channel that cannot work. */
const REQUIRED: Record<string, string[]> = {
  telegram: ["token"],
  discord: ["token"],
  feishu: ["app_id", "app_secret"],
  qq: ["app_id", "app_secret"],
};

export function missingCredentials(id: string, cfg: Record<string, unknown>): string[] {
  return (REQUIRED[id] ?? []).filter((k) => typeof cfg[k] !== "string" || (cfg[k] as string).trim() === "");
}

export async function loadChannels(channels: ChannelsConfig | undefined, logger: Logger, stateDir: string): Promise<LoadedChannel[]> {
  const out: LoadedChannel[] = [];
  for (const [id, cfg] of Object.entries(channels ?? {})) {
    if (!cfg?.enabled) continue;
    const loader = LOADERS[id];
    if (!loader) {
      logger.warn({ channel: id }, `channel ${id} is enabled but not available in this version; it stays off`);
      continue;
    }
    const missing = missingCredentials(id, cfg);
    if (missing.length) {
      logger.error({ channel: id }, `channel ${id} is enabled but channels.${id}.${missing.join(", ")} is empty; it stays off until you set it`);
      continue;
    }
    const loaded = await loader(cfg, logger.child({ channel: id }), stateDir);
    out.push({
      id,
      ...loaded,
      policy: channelPolicy(cfg),
      fingerprint: JSON.stringify(cfg),
    });
  }
  return out;
}
