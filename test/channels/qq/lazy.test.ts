// Loading the adapter module must not load `ws`: a gateway with QQ disabled
// (or not yet started) does not pay for the WebSocket client.
import { createRequire } from "node:module";
import { expect, it } from "vitest";
import { silentLogger } from "../../../src/core/logger.ts";

const loadedWs = () => Object.keys(createRequire(import.meta.url).cache).filter((k) => k.includes("/node_modules/ws/"));

it("imports ws only when the adapter starts", async () => {
  const { createQqAdapter } = await import("../../../channels/qq/adapter.ts");
  const adapter = createQqAdapter({ app_id: "1", app_secret: "secret-x" }, { logger: silentLogger(), stateDir: "/nonexistent" });
  expect(adapter.id).toBe("qq");
  expect(loadedWs()).toEqual([]);
  // proof the check can see it: importing ws shows up
  await import("ws");
  expect(loadedWs().length).toBeGreaterThan(0);
});
