// The WhatsApp side of the shared channel contract suite
// (test/channels/contract.ts), in bridge mode: a fake bridge the daemon's
// WhatsApp adapter connects to, with users named by the suite ("alice",
// "bob", ...) mapped to stable phone numbers.
//
//   channelContract("whatsapp", startHarness, { allowed: "alice", stranger: "bob" });
import { createHash } from "node:crypto";
import { FakeBridge, type FakeBridgeOptions } from "../../fakes/whatsapp/bridge.ts";
import type { ChannelHarness } from "../contract.ts";

/** the phone number (digits, with country code 49) the fake gives user `userId` */
export function phoneFor(userId: string): string {
  const digits = BigInt(`0x${createHash("md5").update(`wa-user:${userId}`).digest("hex").slice(0, 12)}`).toString().padStart(10, "0");
  return `49${digits.slice(-10)}`;
}

/** the user's JID, which is also their direct chat's JID */
export function jidFor(userId: string): string {
  return `${phoneFor(userId)}@s.whatsapp.net`;
}

export async function startHarness(opts: FakeBridgeOptions = {}): Promise<ChannelHarness & { bridge: FakeBridge }> {
  const bridge = await FakeBridge.start(opts);
  return {
    channel: "whatsapp",
    bridge,
    config: () => ({ enabled: true, bridge_url: bridge.url, use_native: false }),
    // a phone number with +, as people write them; the gateway matches it against the JID
    allowEntry: (userId) => `+${phoneFor(userId)}`,
    async userSays(userId, text) {
      // a message reaches the bot only while it is connected to the bridge
      await bridge.waitFor(() => bridge.connected > 0, "the bot's bridge connection", 20_000);
      bridge.userSays({ from: jidFor(userId), text, fromName: userId });
    },
    sentTo: (userId) => bridge.sentTo(jidFor(userId)),
    async dropConnection() {
      bridge.dropConnections();
      await bridge.waitFor(() => bridge.connected === 0, "the drop");
    },
    close: () => bridge.close(),
  };
}
