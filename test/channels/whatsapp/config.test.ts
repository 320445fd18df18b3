// channels.whatsapp as the reference config writes it, defaults, and errors
// that name the key and the fix.
import { homedir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createWhatsAppAdapter } from "../../../channels/whatsapp/adapter.ts";
import { displayUrl, resolveWhatsAppConfig } from "../../../channels/whatsapp/config.ts";
import { silentLogger } from "../../../src/core/logger.ts";

const STATE = "/var/lib/switchboard";

describe("channels.whatsapp config", () => {
  it("accepts the reference example and fills the defaults", () => {
    const reference = { enabled: false, bridge_url: "ws://localhost:3001", use_native: false, session_store_path: "", allow_from: [] };
    expect(resolveWhatsAppConfig(reference, STATE)).toEqual({ mode: "bridge", bridgeUrl: "ws://localhost:3001", authDir: join(STATE, "whatsapp-auth") });
    expect(resolveWhatsAppConfig({}, STATE)).toEqual({ mode: "bridge", bridgeUrl: "ws://localhost:3001", authDir: join(STATE, "whatsapp-auth") });
    expect(resolveWhatsAppConfig({ bridge_url: "" }, STATE).bridgeUrl).toBe("ws://localhost:3001");
  });

  it("switches to native mode with use_native and resolves session_store_path", () => {
    expect(resolveWhatsAppConfig({ use_native: true, session_store_path: "/data/wa" }, STATE)).toMatchObject({ mode: "native", authDir: "/data/wa" });
    expect(resolveWhatsAppConfig({ session_store_path: "~/wa" }, STATE).authDir).toBe(join(homedir(), "wa"));
    expect(resolveWhatsAppConfig({ session_store_path: "sessions/wa" }, STATE).authDir).toBe(join(STATE, "sessions/wa"));
  });

  it("names the key and the fix for values it cannot use", () => {
    expect(() => resolveWhatsAppConfig({ bridge_url: "http://localhost:3001" }, STATE)).toThrow(
      'channels.whatsapp.bridge_url must be a WebSocket URL such as "ws://localhost:3001" (ws:// or wss://)',
    );
    expect(() => resolveWhatsAppConfig({ bridge_url: "localhost:3001" }, STATE)).toThrow(/channels\.whatsapp\.bridge_url must be a WebSocket URL/);
    expect(() => resolveWhatsAppConfig({ use_native: "yes" }, STATE)).toThrow("channels.whatsapp.use_native must be true or false");
    expect(() => createWhatsAppAdapter({ session_store_path: 1 }, { logger: silentLogger(), stateDir: STATE })).toThrow(
      /channels\.whatsapp\.session_store_path must be a directory path/,
    );
  });

  it("shows bridge URLs without credentials or query", () => {
    expect(displayUrl("wss://user:secret@bridge.example:3001/ws?token=abc#x")).toBe("wss://bridge.example:3001/ws");
    expect(displayUrl("ws://localhost:3001")).toBe("ws://localhost:3001");
  });

  it("builds the adapter for the mode, with the capabilities of each", () => {
    const bridge = createWhatsAppAdapter({}, { logger: silentLogger(), stateDir: STATE });
    const native = createWhatsAppAdapter({ use_native: true }, { logger: silentLogger(), stateDir: STATE });
    expect([bridge.id, bridge.mode, bridge.capabilities.typing]).toEqual(["whatsapp", "bridge", false]);
    expect([native.id, native.mode, native.capabilities.typing]).toEqual(["whatsapp", "native", true]);
    expect(native.capabilities.maxTextLength).toBe(4096);
  });
});
