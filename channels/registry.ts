// The one list of channels. Each entry is a light definition (config keys,
// checks, webhook route); a channel's adapter and SDK are imported by its
// create(), so a gateway with one channel does not pay for five.
import type { ChannelDefinition } from "../src/core/channel-definition.ts";
import { discord } from "./discord/index.ts";
import { feishu } from "./feishu/index.ts";
import { qq } from "./qq/index.ts";
import { telegram } from "./telegram/index.ts";
import { whatsapp } from "./whatsapp/index.ts";

export const CHANNELS = [telegram, discord, whatsapp, feishu, qq] as const;

export type ChannelId = (typeof CHANNELS)[number]["id"];

export const CHANNEL_IDS: readonly ChannelId[] = CHANNELS.map((c) => c.id);

export function channelDefinition(id: string): ChannelDefinition | undefined {
  return CHANNELS.find((c) => c.id === id);
}

/** The credential keys of channels.<id> that are empty (an enabled channel without them stays off). */
export function missingCredentials(def: ChannelDefinition, cfg: Record<string, unknown>): string[] {
  return def.credentials.filter((k) => {
    const v = cfg[k];
    return !(typeof v === "string" ? v.trim() !== "" : typeof v === "number");
  });
}
