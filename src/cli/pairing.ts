// `switchboard pairing list|approve|deny|revoke`: people who asked to talk to
// the bot get a code; approving it lets them in (stored, survives restarts)
// and queues a notice telling them so; denying it turns the request down
// (the code stops working, they may ask again later); revoking removes an
// approved sender. The command works on the store the
// gateways use (store.url / SWITCHBOARD_DATABASE_URL, else the SQLite file):
// the notice waits in the outbox, and the gateway that runs the channel (on
// a fleet, the one holding its lease) sends it on its next look, or when it
// next starts.
import type { Command } from "commander";
import { SwitchboardError } from "../core/errors.ts";
import { approvePairing } from "../gateway/pairing-reply.ts";
import { writeLine } from "./io.ts";
import type { CliContext } from "./main.ts";
import { withCommandStore } from "./store-open.ts";

export function register(program: Command, ctx: CliContext): void {
  const pairing = program.command("pairing").description("approve people who asked to talk to the bot");
  pairing
    .command("list [channel]")
    .description("open pairing requests and approved senders")
    .action((channel: string | undefined) =>
      withCommandStore(ctx, async ({ store }) => {
        const now = Date.now();
        const open = await store.pairing.listRequests(now, channel);
        const approved = await store.pairing.listApproved(channel);
        writeLine(ctx.io.stdout, open.length ? "pending:" : "no pending requests");
        for (const r of open) writeLine(ctx.io.stdout, `  ${r.channel} ${r.code}  ${r.label ?? r.senderId} (id ${r.senderId}), expires in ${Math.max(0, Math.round((r.expiresAt - now) / 60_000))} min`);
        if (approved.length) writeLine(ctx.io.stdout, "approved:");
        for (const a of approved) writeLine(ctx.io.stdout, `  ${a.channel} ${a.label ?? a.senderId} (id ${a.senderId}) since ${new Date(a.approvedAt).toISOString()}`);
      }),
    );
  pairing
    .command("approve <channel> <code>")
    .description("let the sender of a pairing code talk to the agent")
    .action((channel: string, code: string) =>
      withCommandStore(ctx, async ({ store }) => {
        const ok = await store.transaction((tx) => approvePairing(tx, channel.toLowerCase(), code, Date.now()));
        if (!ok) throw new SwitchboardError("not_found", `no open pairing request ${code} on ${channel} (codes expire after an hour; see \`switchboard pairing list\`)`);
        writeLine(ctx.io.stdout, `approved ${ok.label ?? ok.senderId} on ${channel}${ok.chatId ? "; they are told they can chat now" : ""}`);
      }),
    );
  pairing
    .command("deny <channel> <code>")
    .description("turn a pairing request down: the code stops working (the sender may ask again later)")
    .action((channel: string, code: string) =>
      withCommandStore(ctx, async ({ store }) => {
        if (!(await store.pairing.deny(channel.toLowerCase(), code))) throw new SwitchboardError("not_found", `no open pairing request ${code} on ${channel} (see \`switchboard pairing list\`)`);
        writeLine(ctx.io.stdout, `denied ${code} on ${channel}`);
      }),
    );
  pairing
    .command("revoke <channel> <senderId>")
    .description("remove an approved sender")
    .action((channel: string, senderId: string) =>
      withCommandStore(ctx, async ({ store }) => {
        if (!(await store.pairing.revoke(channel.toLowerCase(), senderId))) throw new SwitchboardError("not_found", `${senderId} is not approved on ${channel}`);
        writeLine(ctx.io.stdout, `revoked ${senderId} on ${channel}`);
      }),
    );
}
