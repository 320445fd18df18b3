// The Feishu/Lark channel's definition: its config keys, required
// credentials, adapter-level checks and webhook route. The Lark SDK loads
// only when the long connection starts.
import { defineChannel, issuesOf } from "../../src/core/channel-definition.ts";
import { FEISHU_SETTINGS, resolveFeishuConfig } from "./config.ts";

export const feishu = defineChannel({
  id: "feishu",
  settings: FEISHU_SETTINGS,
  credentials: ["app_id", "app_secret"],
  check: (cfg) => issuesOf(() => resolveFeishuConfig(cfg)),
  webhook: { path: "/webhook/feishu" },
  create: async (cfg, deps) => {
    const { createFeishuAdapter } = await import("./adapter.ts");
    return createFeishuAdapter(cfg, { logger: deps.logger, stateDir: deps.stateDir });
  },
});
