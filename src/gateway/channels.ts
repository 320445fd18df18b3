// Which channels the config enables, built from the channel registry
// (channels/registry.ts). A channel's adapter module, and with it its SDK, is
// imported by its definition's create() only when the channel is enabled.
import { CHANNEL_IDS, CHANNELS, channelDefinition, missingCredentials as missingOf } from "../../channels/registry.ts";
import type { ChannelAdapter } from "../core/channel.ts";
import type { ChannelDefinition } from "../core/channel-definition.ts";
import type { Logger } from "../core/logger.ts";
import { channelPolicy } from "./access.ts";
import type { ChannelPolicy } from "./pipeline.ts";

/** The config's channels section as the gateway reads it (one loose record per channel). */
export type ChannelsConfig = Record<string, (Record<string, unknown> & { enabled?: boolean; allow_from?: (string | number)[] }) | undefined>;

export interface LoadedChannel {
  id: string;
  definition: ChannelDefinition;
  adapter: ChannelAdapter;
  policy: ChannelPolicy;
  /** JSON of the channel's config, to tell whether a reload changed it */
  fingerprint: string;
  /** true for channels that pull updates (polling): they stop reading while every turn slot is taken */
  holdsReading?: boolean;
}

export function knownChannels(): string[] {
  return [...CHANNEL_IDS];
}

/** Empty credential keys of an enabled channel, to refuse a channel that cannot work. */
export function missingCredentials(id: string, cfg: Record<string, unknown>): string[] {
  const def = channelDefinition(id);
  return def ? missingOf(def, cfg) : [];
}

/** Every channel with a webhook route: the HTTP server mounts these once, for the life of the process. */
export function webhookRoutes(): { id: string; path: string }[] {
  return CHANNELS.flatMap((def) => (def.webhook ? [{ id: def.id, path: def.webhook.path }] : []));
}

/**
 * Builds an adapter for every enabled channel with its credentials. The
 * config passed the definitions' checks at load, so create() failing here is
 * a bug or the environment (it is thrown, not swallowed).
 */
export async function loadChannels(channels: ChannelsConfig | undefined, logger: Logger, stateDir: string): Promise<LoadedChannel[]> {
  const out: LoadedChannel[] = [];
  for (const [id, cfg] of Object.entries(channels ?? {})) {
    if (!cfg?.enabled) continue;
    const definition = channelDefinition(id);
    if (!definition) {
      logger.warn({ channel: id }, `channel ${id} is enabled but not available in this version; it stays off`);
      continue;
    }
    const missing = missingOf(definition, cfg);
    if (missing.length) {
      logger.error({ channel: id }, `channel ${id} is enabled but channels.${id}.${missing.join(", ")} is empty; it stays off until you set it`);
      continue;
    }
    const adapter = await definition.create(cfg, { logger: logger.child({ channel: id }), stateDir });
    out.push({
      id,
      definition,
      adapter,
      policy: channelPolicy(cfg),
      fingerprint: JSON.stringify(cfg),
      ...(definition.pullsUpdates?.(cfg) ? { holdsReading: true } : {}),
    });
  }
  return out;
}
