// `switchboard channels login whatsapp`: pairs WhatsApp's native mode by QR
// code (scan it with WhatsApp → Linked devices) and exits once paired.
// `switchboard channels list`: which channels the config enables.
import type { Command } from "commander";
import { createLogger } from "../core/logger.ts";
import { SwitchboardError } from "../core/errors.ts";
import { knownChannels } from "../gateway/channels.ts";
import { writeLine } from "./io.ts";
import type { CliContext } from "./main.ts";
import { commandSetup } from "./setup.ts";

export function register(program: Command, ctx: CliContext): void {
  const channels = program.command("channels").description("list channels, and log in to WhatsApp");
  channels
    .command("list")
    .description("channels the config enables and what they are missing")
    .action(() => {
      const { loaded } = commandSetup(ctx);
      for (const id of knownChannels()) {
        const c = (loaded.config.channels as Record<string, { enabled?: boolean; allow_from?: string[] } | undefined>)[id];
        writeLine(ctx.io.stdout, `${id.padEnd(9)} ${c?.enabled ? "enabled" : "off"}${c?.enabled ? `, allow_from: ${c.allow_from?.length ? c.allow_from.join(", ") : "(empty: pairing codes)"}` : ""}`);
      }
    });
  channels
    .command("login <channel>")
    .description("pair a channel that needs it (whatsapp: scan the QR code)")
    .action(async (channel: string) => {
      if (channel.toLowerCase() !== "whatsapp") throw new SwitchboardError("usage", `only whatsapp needs a login; ${channel} uses the credentials in its config`);
      const { loaded, paths } = commandSetup(ctx);
      const { loginWhatsApp } = await import("../../channels/whatsapp/adapter.ts");
      const abort = new AbortController();
      process.once("SIGINT", () => abort.abort());
      const res = await loginWhatsApp(loaded.config.channels.whatsapp as unknown as Record<string, unknown>, {
        logger: createLogger({ level: "warn" }),
        stateDir: paths.home,
        out: ctx.io.stdout,
        signal: abort.signal,
      });
      writeLine(ctx.io.stdout, res.alreadyPaired ? `already paired as ${res.jid}` : `paired as ${res.jid}; credentials in ${res.authDir}`);
      writeLine(ctx.io.stdout, "set channels.whatsapp.use_native to true and enabled to true, then run the gateway");
    });
}
