// What the WhatsApp adapter offers and accepts, shared by both modes.
import type { ChannelAdapter, ChannelCapabilities } from "../../src/core/channel.ts";
import type { Clock } from "../../src/core/clock.ts";
import type { Logger } from "../../src/core/logger.ts";
import type { FetchLike } from "./download.ts";
import type { WaAuthStateLoader, WaDownload, WaSocketFactory } from "./native-types.ts";

/**
 * maxTextLength 4096: WhatsApp takes ~65 000 characters, but a reply cut
 * into screen-sized messages stays readable. format "markdown": WhatsApp
 * renders its own light markup (*bold*, _italic_, ~strike~, ```code```);
 * markdown chunks are converted (format.ts). Typing shows only in native
 * mode (the bridge protocol has no typing frame).
 */
export const BRIDGE_CAPABILITIES: ChannelCapabilities = { maxTextLength: 4096, format: "markdown", typing: false, edit: false, voiceIn: true };
export const NATIVE_CAPABILITIES: ChannelCapabilities = { maxTextLength: 4096, format: "markdown", typing: true, edit: false, voiceIn: true };

export interface WhatsAppAdapterOptions {
  logger: Logger;
  /** SWITCHBOARD_HOME: the native mode keeps its credentials in <stateDir>/whatsapp-auth unless session_store_path says otherwise */
  stateDir: string;
  /** reconnect waits and connection ages; default the system clock */
  clock?: Clock;
  /** first reconnect delay, doubling up to maxBackoffMs, ±20 % jitter; defaults 1 s and 60 s */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  random?: () => number;
  /** a connection that stayed up this long resets the backoff; default 30 s */
  stableAfterMs?: number;
  /** bridge mode: start() fails when no connection opened by then; default 30 s */
  readyTimeoutMs?: number;
  /** bridge mode: ping interval; a ping left unanswered for one interval reconnects; 0 turns pings off; default 30 s */
  pingIntervalMs?: number;
  /** bridge mode: WebSocket opening handshake limit; default 15 s */
  handshakeTimeoutMs?: number;
  /** media download cap; default 20 MB */
  maxMediaBytes?: number;
  /** bridge mode: fetch for media URLs the bridge gives */
  fetch?: FetchLike;
  /** native mode: builds the WhatsApp Web socket; default baileys' makeWASocket (tests inject a fake) */
  socketFactory?: WaSocketFactory;
  /** native mode: loads the credential store of a directory; default baileys' useMultiFileAuthState */
  authState?: WaAuthStateLoader;
  /** native mode: downloads a message's media; default baileys' downloadMediaMessage */
  downloadMedia?: WaDownload;
  /** native mode: where the pairing QR code is drawn; default stdout */
  qrOut?: { write(text: string): unknown };
}

export interface WhatsAppAdapter extends ChannelAdapter {
  readonly mode: "bridge" | "native";
  /** the bot's own JID, once known (native: after connecting; bridge: when a status frame names it) */
  readonly botJid: string | undefined;
  /** a connection to WhatsApp (native) or the bridge is open now */
  readonly connected: boolean;
}
