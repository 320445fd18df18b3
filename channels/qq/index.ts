// The QQ channel's definition: its config keys, required credentials and
// adapter-level checks. `ws` loads only when the adapter starts.
import { defineChannel, issuesOf } from "../../src/core/channel-definition.ts";
import { QQ_SETTINGS, resolveQqConfig } from "./config.ts";

export const qq = defineChannel({
  id: "qq",
  settings: QQ_SETTINGS,
  credentials: ["app_id", "app_secret"],
  check: (cfg) => issuesOf(() => resolveQqConfig(cfg)),
  create: async (cfg, deps) => {
    const { createQqAdapter } = await import("./adapter.ts");
    return createQqAdapter(cfg, { logger: deps.logger, stateDir: deps.stateDir });
  },
});
