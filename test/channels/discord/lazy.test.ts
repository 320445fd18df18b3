// Loading the adapter module must not load discord.js: a gateway with
// Discord disabled (or not yet started) does not pay for the SDK.
import { createRequire } from "node:module";
import { expect, it } from "vitest";
import { silentLogger } from "../../../src/core/logger.ts";

const loadedDiscordJs = () => Object.keys(createRequire(import.meta.url).cache).filter((k) => k.includes("/node_modules/discord.js/"));

it("imports discord.js only when the adapter starts", async () => {
  const { createDiscordAdapter } = await import("../../../channels/discord/adapter.ts");
  const adapter = createDiscordAdapter({ token: "x.y.z" }, { logger: silentLogger() });
  expect(adapter.capabilities).toEqual({ maxTextLength: 2000, format: "markdown", typing: true, edit: true, voiceIn: true });
  expect(loadedDiscordJs()).toEqual([]);
  // proof the check can see it: importing discord.js shows up
  await import("discord.js");
  expect(loadedDiscordJs().length).toBeGreaterThan(0);
});
