// Loading and constructing the adapter must not load `ws`, baileys or
// qrcode-terminal: a gateway with WhatsApp disabled (or not yet started)
// does not pay for them. Checked in a child process with a resolve hook
// that records every module asked for.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const ADAPTER = fileURLToPath(new URL("../../../channels/whatsapp/adapter.ts", import.meta.url));

function modulesLoaded(after: string): string[] {
  const script = `
    import { registerHooks } from "node:module";
    const seen = [];
    registerHooks({ resolve(spec, ctx, next) { seen.push(spec); return next(spec, ctx); } });
    const { createWhatsAppAdapter } = await import(${JSON.stringify(ADAPTER)});
    const logger = { info() {}, warn() {}, error() {}, debug() {}, child() { return logger; } };
    createWhatsAppAdapter({}, { logger, stateDir: "/tmp" });
    createWhatsAppAdapter({ use_native: true }, { logger, stateDir: "/tmp" });
    ${after}
    console.log(JSON.stringify(seen.filter((s) => /^(ws|@whiskeysockets\\/baileys|qrcode-terminal)$/.test(s))));
  `;
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
  return JSON.parse(out.trim().split("\n").at(-1)!) as string[];
}

it("imports neither ws nor baileys nor qrcode-terminal until a channel starts", () => {
  expect(modulesLoaded("")).toEqual([]);
  // proof the hook sees them: importing them shows up
  expect(modulesLoaded('await import("ws"); await import("@whiskeysockets/baileys");')).toEqual(expect.arrayContaining(["ws", "@whiskeysockets/baileys"]));
});
