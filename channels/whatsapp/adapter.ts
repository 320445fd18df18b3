// The WhatsApp channel, in one of two modes (channels.whatsapp.use_native):
//   bridge (default)  a WebSocket to a separate WhatsApp bridge speaking the
//                     JSON bridge protocol (bridge-adapter.ts, bridge-protocol.ts)
//   native            this process is a linked WhatsApp device through baileys
//                     (native-adapter.ts), paired by QR code
// Loading this module imports neither `ws` nor baileys; start() does.
import { BridgeWhatsApp } from "./bridge-adapter.ts";
import { resolveWhatsAppConfig, type WhatsAppConfig } from "./config.ts";
import { NativeWhatsApp } from "./native-adapter.ts";
import type { WhatsAppAdapter, WhatsAppAdapterOptions } from "./types.ts";

export type { WhatsAppConfig } from "./config.ts";
export type { WhatsAppAdapter, WhatsAppAdapterOptions } from "./types.ts";
export { BRIDGE_CAPABILITIES, NATIVE_CAPABILITIES } from "./types.ts";
export { loginWhatsApp, type LoginOptions, type LoginResult } from "./login.ts";
export type { WaSocketLike, WaSocketFactory, WaAuthState, WaAuthStateLoader, WaDownload, WaConnectionUpdate } from "./native-types.ts";
export { LOGGED_OUT_DETAIL, NOT_PAIRED_DETAIL } from "./native-types.ts";

/** Builds the adapter; throws when the config is unusable (the message names the key and the fix). */
export function createWhatsAppAdapter(config: WhatsAppConfig | Record<string, unknown>, opts: WhatsAppAdapterOptions): WhatsAppAdapter {
  const cfg = resolveWhatsAppConfig(config, opts.stateDir);
  return cfg.mode === "native" ? new NativeWhatsApp(cfg, opts) : new BridgeWhatsApp(cfg, opts);
}
