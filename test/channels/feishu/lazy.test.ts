// Loading the adapter module must not load the Lark SDK: a gateway with
// Feishu disabled (or in webhook mode) does not pay for it.
import { createRequire } from "node:module";
import { expect, it } from "vitest";
import { silentLogger } from "../../../src/core/logger.ts";

const loadedSdk = () => Object.keys(createRequire(import.meta.url).cache).filter((k) => k.includes("/node_modules/@larksuiteoapi/node-sdk/"));

it("imports @larksuiteoapi/node-sdk only when the long connection starts", async () => {
  const { createFeishuAdapter, FEISHU_CAPABILITIES } = await import("../../../channels/feishu/adapter.ts");
  const adapter = createFeishuAdapter({ app_id: "cli_a1b2c3d4e5f60718", app_secret: "secret-x" }, { logger: silentLogger(), stateDir: "/nonexistent" });
  expect(adapter.id).toBe("feishu");
  expect(adapter.capabilities).toEqual({ maxTextLength: 4000, format: "markdown", typing: false, edit: true, voiceIn: true });
  expect(FEISHU_CAPABILITIES).toBe(adapter.capabilities);
  expect(loadedSdk()).toEqual([]);
  // proof the check can see it: importing the SDK shows up
  await import("@larksuiteoapi/node-sdk");
  expect(loadedSdk().length).toBeGreaterThan(0);
});
