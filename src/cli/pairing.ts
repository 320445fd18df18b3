// `switchboard pairing list|approve|revoke`: people who asked to talk to the
// bot get a code; approving it lets them in (stored, survives restarts) and
// queues a notice telling them so, which the running gateway sends within
// seconds (its outbox looks for rows other processes wrote), or sends when
// it next starts.
import type { Command } from "commander";
import { SwitchboardError } from "../core/errors.ts";
import { approvePairing } from "../gateway/pairing-reply.ts";
import { openStore } from "../store/index.ts";
import { sqliteBackend } from "../store/sqlite-backend.ts";
import { writeLine } from "./io.ts";
import type { CliContext } from "./main.ts";
import { commandSetup } from "./setup.ts";

export function register(program: Command, ctx: CliContext): void {
  const pairing = program.command("pairing").description("approve people who asked to talk to the bot");
  const store = () => openStore(commandSetup(ctx, { quietWarnings: true }).paths.dbFile);
  pairing
    .command("list [channel]")
    .description("open pairing requests and approved senders")
    .action((channel: string | undefined) => {
      const s = store();
      try {
        const now = Date.now();
        const open = s.pairing.listRequests(now, channel);
        const approved = s.pairing.listApproved(channel);
        writeLine(ctx.io.stdout, open.length ? "pending:" : "no pending requests");
        for (const r of open) writeLine(ctx.io.stdout, `  ${r.channel} ${r.code}  ${r.label ?? r.senderId} (id ${r.senderId}), expires in ${Math.max(0, Math.round((r.expiresAt - now) / 60_000))} min`);
        if (approved.length) writeLine(ctx.io.stdout, "approved:");
        for (const a of approved) writeLine(ctx.io.stdout, `  ${a.channel} ${a.label ?? a.senderId} (id ${a.senderId}) since ${new Date(a.approvedAt).toISOString()}`);
      } finally {
        s.close();
      }
    });
  pairing
    .command("approve <channel> <code>")
    .description("let the sender of a pairing code talk to the agent")
    .action(async (channel: string, code: string) => {
      const s = store();
      try {
        const ok = await approvePairing(sqliteBackend(s), channel.toLowerCase(), code, Date.now());
        if (!ok) throw new SwitchboardError("not_found", `no open pairing request ${code} on ${channel} (codes expire after an hour; see \`switchboard pairing list\`)`);
        writeLine(ctx.io.stdout, `approved ${ok.label ?? ok.senderId} on ${channel}${ok.chatId ? "; they are told they can chat now" : ""}`);
      } finally {
        s.close();
      }
    });
  pairing
    .command("revoke <channel> <senderId>")
    .description("remove an approved sender")
    .action((channel: string, senderId: string) => {
      const s = store();
      try {
        if (!s.pairing.revoke(channel.toLowerCase(), senderId)) throw new SwitchboardError("not_found", `${senderId} is not approved on ${channel}`);
        writeLine(ctx.io.stdout, `revoked ${senderId} on ${channel}`);
      } finally {
        s.close();
      }
    });
}
