// The WhatsApp channel's definition: its config keys and adapter-level checks
// (a bridge needs no credentials; native mode pairs by QR code). Neither
// `ws` nor baileys loads before the adapter starts.
import { defineChannel, issuesOf } from "../../src/core/channel-definition.ts";
import { resolveWhatsAppConfig, WHATSAPP_SETTINGS } from "./config.ts";

export const whatsapp = defineChannel({
  id: "whatsapp",
  settings: WHATSAPP_SETTINGS,
  credentials: [],
  // the state dir only places the auth directory; any absolute path checks the same
  check: (cfg) => issuesOf(() => resolveWhatsAppConfig(cfg, "/")),
  create: async (cfg, deps) => {
    const { createWhatsAppAdapter } = await import("./adapter.ts");
    return createWhatsAppAdapter(cfg, { logger: deps.logger, stateDir: deps.stateDir });
  },
});
