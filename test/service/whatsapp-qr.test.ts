// The WhatsApp pairing code in a terminal, and a DNS failure named as one.
import { describe, expect, it } from "vitest";
import { describeClose, type WaConnectionUpdate } from "../../channels/whatsapp/native-types.ts";
import { renderQr, rowsNeeded } from "../../channels/whatsapp/qr.ts";

// the shape baileys builds: link prefix, ref, three base64 keys, platform id
const PAYLOAD = `https://wa.me/settings/linked_devices#2@${"r".repeat(86)},${"n".repeat(43)}=,${"i".repeat(43)}=,${"a".repeat(43)}=,1`;

describe("WhatsApp QR code", () => {
  it("is drawn with half blocks, within 80 columns", async () => {
    const drawing = await renderQr(PAYLOAD, 100);
    const lines = drawing.replace(/\n+$/, "").split("\n");
    expect(Math.max(...lines.map((l) => [...l].length))).toBeLessThanOrEqual(80);
    expect(drawing).toMatch(/[▀▄]/);
    expect(drawing).not.toContain("make the window taller");
  });

  it("says so when the terminal is too short for it, instead of scrolling its top away", async () => {
    const drawing = await renderQr(PAYLOAD, 24);
    expect(drawing).toMatch(/the code needs \d+ terminal rows and this one has 24/);
    expect(rowsNeeded(await renderQr(PAYLOAD, 100))).toBeGreaterThan(24);
  });
});

describe("a login that cannot resolve WhatsApp's host", () => {
  it("is called a DNS failure, not a timeout", () => {
    const err = Object.assign(new Error("getaddrinfo ENOTFOUND web.whatsapp.com"), { code: "ENOTFOUND", hostname: "web.whatsapp.com" });
    const boom = Object.assign(new Error("Connection Failure"), { data: err, output: { statusCode: 408 } });
    const text = describeClose(408, { connection: "close", lastDisconnect: { error: boom } } as unknown as WaConnectionUpdate);
    expect(text).toBe("cannot look up web.whatsapp.com (DNS failure): check the network and the DNS resolver, or the proxy");
    const wrapped = describeClose(408, { connection: "close", lastDisconnect: { error: new Error("getaddrinfo EAI_AGAIN web.whatsapp.com") } } as unknown as WaConnectionUpdate);
    expect(wrapped).toContain("cannot look up web.whatsapp.com (DNS failure)");
    expect(describeClose(408, { connection: "close", lastDisconnect: { error: new Error("timed out") } } as unknown as WaConnectionUpdate)).toContain("timed out");
  });
});
