// The life of a slash command on Discord, after commands.ts turned it into
// an inbound message:
// 1. acknowledge at once (Discord drops an interaction not answered within
//    3 s): a deferred, ephemeral response (type 5, flag 64), so the person
//    who used the command sees "thinking…" and nobody else sees anything;
// 2. hand the command to the gateway (the normal inbound path: allow-list,
//    session, durable inbox);
// 3. when the gateway sends the answer, edit the deferred response into it
//    (PATCH /webhooks/{application.id}/{token}/messages/@original), so the
//    answer appears under the command, visible to that person.
// Which outgoing chunk answers which interaction: the gateway's reply carries
// the id of the message it answers (inReplyTo; replyTo in groups), which for
// a slash command is the interaction id. An interaction token lives
// 15 minutes: after that, after a restart (pending interactions are kept in
// memory only) or when the edit is refused, the answer is posted as an
// ordinary channel message instead, so it is never lost.
import { ChannelError, type InboundMessage, type OutboundChunk } from "../../src/core/channel.ts";
import type { Logger } from "../../src/core/logger.ts";
import { interactionToInbound, InteractionSchema, slashCommandBodies } from "./commands.ts";
import { mapRestError, scrub } from "./errors.ts";
import { errorMessage } from "../../src/core/errors.ts";

/** deferred channel message with source; 4 = channel message with source */
const DEFERRED = 5;
const MESSAGE = 4;
const EPHEMERAL = 1 << 6;
/** interaction tokens are valid for 15 minutes; stop using one a little before */
export const INTERACTION_TTL_MS = 14 * 60_000;

type Route = `/${string}`;
export interface InteractionRest {
  put(route: Route, options?: { body?: unknown; auth?: boolean }): Promise<unknown>;
  post(route: Route, options?: { body?: unknown; auth?: boolean }): Promise<unknown>;
  patch(route: Route, options?: { body?: unknown; auth?: boolean }): Promise<unknown>;
}

interface Pending {
  applicationId: string;
  token: string;
  chatId: string;
  at: number;
}

export interface SlashCommandsOptions {
  rest: () => InteractionRest | undefined;
  logger: Logger;
  /** the bot token, scrubbed from anything logged */
  token: string;
  now?: () => number;
}

export class SlashCommands {
  private readonly opts: SlashCommandsOptions;
  private readonly now: () => number;
  /** acknowledged interactions waiting for their answer, by interaction id, oldest first */
  private readonly pending = new Map<string, Pending>();

  constructor(opts: SlashCommandsOptions) {
    this.opts = opts;
    this.now = opts.now ?? Date.now;
  }

  /** PUT the command list; resolves either way (false when Discord refused or could not be reached) */
  async register(applicationId: string): Promise<boolean> {
    const rest = this.opts.rest();
    if (!rest) return false;
    try {
      await rest.put(`/applications/${applicationId}/commands`, { body: slashCommandBodies() });
      this.opts.logger.info({ commands: slashCommandBodies().length }, "Discord slash commands registered");
      return true;
    } catch (err) {
      const reason = mapRestError(err, "register the slash commands", this.opts.token).message;
      this.opts.logger.warn({ err: reason }, "could not register the Discord slash commands; typed commands still work");
      return false;
    }
  }

  /** An INTERACTION_CREATE payload: acknowledged, then handed to `emit` when it is one of our commands. */
  async handle(payload: unknown, botId: string, emit: (msg: InboundMessage) => Promise<void>): Promise<void> {
    const parsed = InteractionSchema.safeParse(payload);
    if (!parsed.success) {
      this.opts.logger.warn({ issue: parsed.error.issues[0]?.message }, "skipping a Discord interaction of unexpected shape");
      return;
    }
    const i = parsed.data;
    const msg = interactionToInbound(i, botId);
    if (!msg) {
      if (i.type === 2) await this.callback(i.id, i.token, { type: MESSAGE, data: { content: `I don't know /${i.data?.name ?? "?"}. Type /help for the commands.`, flags: EPHEMERAL } });
      return;
    }
    this.expire();
    const acked = await this.callback(i.id, i.token, { type: DEFERRED, data: { flags: EPHEMERAL } });
    if (acked) this.pending.set(i.id, { applicationId: i.application_id, token: i.token, chatId: msg.chatId, at: this.now() });
    try {
      await emit(msg);
    } catch (err) {
      this.opts.logger.error({ err: errorMessage(err), interaction: i.id }, "gateway did not accept a Discord slash command");
      const p = this.pending.get(i.id);
      this.pending.delete(i.id);
      if (p) await this.edit(p, "I could not take that command just now; please try again.").catch(() => undefined);
    }
  }

  /**
   * Sends `chunk` as the answer of a waiting interaction in `chatId`, when
   * there is one: the sent message's id, or undefined to post it normally.
   */
  async answer(chatId: string, chunk: OutboundChunk): Promise<{ messageId: string } | undefined> {
    if (chunk.media || !chunk.text.trim()) return undefined;
    this.expire();
    const id = this.match(chatId, chunk);
    if (!id) return undefined;
    const p = this.pending.get(id)!;
    try {
      const res = await this.edit(p, chunk.text);
      this.pending.delete(id);
      const messageId = typeof res === "object" && res !== null && "id" in res ? String((res as { id: unknown }).id) : id;
      return { messageId };
    } catch (err) {
      const mapped = mapRestError(err, "answer the slash command", this.opts.token);
      // a rate limit is the outbox's to wait out; anything else: post the answer as a message instead
      if (mapped instanceof ChannelError && mapped.code === "rate_limited") throw mapped;
      this.pending.delete(id);
      this.opts.logger.warn({ err: mapped.message, interaction: id }, "could not edit the slash command's response; posting the answer as a message");
      return undefined;
    }
  }

  private match(chatId: string, chunk: OutboundChunk): string | undefined {
    const id = chunk.inReplyTo ?? chunk.replyTo;
    const p = id ? this.pending.get(id) : undefined;
    return p && p.chatId === chatId ? id : undefined;
  }

  private edit(p: Pending, text: string): Promise<unknown> {
    const rest = this.opts.rest();
    if (!rest) return Promise.reject(new Error("Discord channel is not running"));
    const content = text.length > 2000 ? `${text.slice(0, 1999)}…` : text;
    return rest.patch(`/webhooks/${p.applicationId}/${p.token}/messages/@original`, {
      body: { content, allowed_mentions: { parse: [] } },
      auth: false,
    });
  }

  /** POST the interaction callback; false when Discord refused it (too late, already answered) */
  private async callback(id: string, token: string, body: unknown): Promise<boolean> {
    const rest = this.opts.rest();
    if (!rest) return false;
    try {
      await rest.post(`/interactions/${id}/${token}/callback`, { body, auth: false });
      return true;
    } catch (err) {
      this.opts.logger.warn({ err: scrub(errorMessage(err), this.opts.token), interaction: id }, "could not acknowledge a Discord slash command; its answer is posted as a message");
      return false;
    }
  }

  private expire(): void {
    const cutoff = this.now() - INTERACTION_TTL_MS;
    for (const [id, p] of this.pending) if (p.at < cutoff) this.pending.delete(id);
  }
}
