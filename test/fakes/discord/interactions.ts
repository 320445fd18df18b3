// Application commands and interactions of the fake Discord, as Discord's
// wire protocol defines them:
//   PUT/GET /applications/:app/commands                 global commands (bulk overwrite)
//   PUT/GET /applications/:app/guilds/:guild/commands   a guild's commands
//   POST    /interactions/:id/:token/callback           the interaction response (no bot auth)
//   GET/PATCH/DELETE /webhooks/:app/:token/messages/@original   the original response
//   POST    /webhooks/:app/:token                       a followup message
// Commands are checked the way Discord checks them (names 1-32 lower-case
// characters, descriptions 1-100, unique names, required options first).
// An interaction must be answered within 3 s and only once; its token works
// for 15 minutes. Tests dispatch INTERACTION_CREATE with slashCommand() and
// read `responses`.
import type { IncomingMessage, ServerResponse } from "node:http";
import { randomBytes } from "node:crypto";
import { z } from "zod";
import { snowflake, userPayload, type FakeUser } from "./payloads.ts";

const NAME = /^[-_'\p{L}\p{N}]{1,32}$/u;
const OptionSchema = z.object({
  type: z.number().int().min(1).max(11),
  name: z.string().regex(NAME),
  description: z.string().min(1).max(100),
  required: z.boolean().optional(),
});
const CommandSchema = z.looseObject({
  name: z.string().regex(NAME).refine((n) => n === n.toLowerCase(), "name must be lower case"),
  description: z.string().min(1).max(100),
  type: z.number().int().min(1).max(4).optional(),
  contexts: z.array(z.number().int().min(0).max(2)).nullish(),
  options: z.array(OptionSchema).max(25).optional(),
});
const CallbackSchema = z.looseObject({
  type: z.union([z.literal(1), z.literal(4), z.literal(5), z.literal(6), z.literal(7), z.literal(8), z.literal(9)]),
  data: z.looseObject({ content: z.string().max(2000).optional(), flags: z.number().int().optional() }).optional(),
});
const EditSchema = z.looseObject({ content: z.string().max(2000).nullish() });

export type RegisteredCommand = z.infer<typeof CommandSchema> & { id: string; application_id: string; guild_id?: string; version: string };

export interface InteractionResponse {
  interactionId: string;
  kind: "callback" | "edit" | "followup" | "delete";
  body: Record<string, unknown>;
  /** epoch ms when it arrived */
  at: number;
}

interface FakeInteraction {
  id: string;
  token: string;
  channelId: string;
  createdAt: number;
  acked?: { type: number; ephemeral: boolean };
  original?: Record<string, unknown>;
}

/** what the routes need of the fake Discord */
export interface InteractionHost {
  readonly token: string;
  readonly bot: FakeUser;
  readonly guild: { id: string };
  dispatch(t: string, d: unknown): void;
}

export class FakeInteractions {
  readonly global: RegisteredCommand[] = [];
  readonly guilds = new Map<string, RegisteredCommand[]>();
  readonly responses: InteractionResponse[] = [];
  /** PUT requests of command lists, refused ones included */
  registrations = 0;
  /** answers the next command registration with this status (e.g. 403 Missing Access) */
  failNextRegistration: { status: number; code: number; message: string } | undefined;
  /** how long an interaction may wait for its callback; Discord's is 3 s */
  callbackDeadlineMs = 3_000;
  private readonly interactions = new Map<string, FakeInteraction>();
  private readonly host: InteractionHost;

  constructor(host: InteractionHost) {
    this.host = host;
  }

  get applicationId(): string {
    return this.host.bot.id;
  }

  /** the registered command (global, else the guild's) */
  command(name: string, guildId?: string): RegisteredCommand | undefined {
    return this.global.find((c) => c.name === name) ?? (guildId ? this.guilds.get(guildId)?.find((c) => c.name === name) : undefined);
  }

  /** makes an interaction's token too old to use (as after 15 minutes) */
  expire(interactionId: string): void {
    const i = this.interactions.get(interactionId);
    if (i) i.createdAt -= 16 * 60_000;
  }

  /**
   * A person uses a registered slash command: INTERACTION_CREATE as Discord
   * sends it, in a guild channel (member) or a DM (user). Throws when the
   * command is not registered: Discord would not offer it.
   */
  dispatch(spec: { name: string; options?: Record<string, string>; user: FakeUser; channel: Record<string, unknown>; guildId?: string }): Record<string, unknown> {
    const cmd = this.command(spec.name, spec.guildId);
    if (!cmd) throw new Error(`fake Discord: /${spec.name} is not registered, so Discord would not offer it`);
    const id = snowflake();
    const token = `aW50ZXJhY3Rpb246${randomBytes(24).toString("base64url")}`;
    const channelId = String(spec.channel.id);
    this.interactions.set(id, { id, token, channelId, createdAt: Date.now() });
    const options = Object.entries(spec.options ?? {}).map(([name, value]) => ({ name, type: 3, value }));
    const payload: Record<string, unknown> = {
      id,
      application_id: this.applicationId,
      type: 2,
      token,
      version: 1,
      data: { id: cmd.id, name: cmd.name, type: 1, ...(options.length ? { options } : {}) },
      channel_id: channelId,
      channel: spec.channel,
      app_permissions: "2248473465835073",
      locale: "en-US",
      entitlements: [],
      attachment_size_limit: 10_485_760,
      ...(spec.guildId
        ? {
            guild_id: spec.guildId,
            guild_locale: "en-US",
            guild: { id: spec.guildId, locale: "en-US", features: [] },
            member: { user: userPayload(spec.user), nick: null, roles: [], permissions: "2248473465835073", joined_at: new Date().toISOString(), deaf: false, mute: false, flags: 0, pending: false, premium_since: null, avatar: null, banner: null, communication_disabled_until: null },
            authorizing_integration_owners: { "0": spec.guildId },
            context: 0,
          }
        : { user: userPayload(spec.user), authorizing_integration_owners: { "0": spec.user.id }, context: 1 }),
    };
    this.host.dispatch("INTERACTION_CREATE", payload);
    return payload;
  }

  /** the interaction's response as it stands (after callback and edits) */
  original(interactionId: string): Record<string, unknown> | undefined {
    return this.interactions.get(interactionId)?.original;
  }

  acknowledged(interactionId: string): { type: number; ephemeral: boolean } | undefined {
    return this.interactions.get(interactionId)?.acked;
  }

  /** handles the route when it is one of these; false otherwise */
  async route(method: string, route: string, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    let m = /^\/applications\/(\d+)(?:\/guilds\/(\d+))?\/commands$/.exec(route);
    if (m) {
      if (req.headers.authorization !== `Bot ${this.host.token}`) return json(res, 401, { message: "401: Unauthorized", code: 0 });
      if (m[1] !== this.applicationId) return json(res, 403, { message: "Missing Access", code: 50001 });
      const guildId = m[2];
      if (method === "GET") return json(res, 200, guildId ? (this.guilds.get(guildId) ?? []) : this.global);
      if (method === "PUT") return this.overwrite(guildId, await readJson(req), res);
    }
    m = /^\/interactions\/(\d+)\/([^/]+)\/callback$/.exec(route);
    if (m && method === "POST") return this.callback(m[1]!, m[2]!, await readJson(req), res);
    m = /^\/webhooks\/(\d+)\/([^/]+)(\/messages\/@original)?$/.exec(route);
    if (m) return this.webhook(method, m[1]!, m[2]!, Boolean(m[3]), req, res);
    return false;
  }

  private overwrite(guildId: string | undefined, body: unknown, res: ServerResponse): true {
    this.registrations++;
    const failure = this.failNextRegistration;
    this.failNextRegistration = undefined;
    if (failure) return json(res, failure.status, { message: failure.message, code: failure.code });
    const parsed = z.array(CommandSchema).max(100).safeParse(body);
    if (!parsed.success) return json(res, 400, { message: "Invalid Form Body", code: 50035, errors: z.treeifyError(parsed.error) });
    const names = parsed.data.map((c) => c.name);
    if (new Set(names).size !== names.length) return json(res, 400, { message: "Invalid Form Body", code: 50035, errors: { _errors: [{ code: "APPLICATION_COMMANDS_DUPLICATE_NAME", message: "Application command names must be unique" }] } });
    for (const c of parsed.data) {
      const opts = c.options ?? [];
      const firstOptional = opts.findIndex((o) => !o.required);
      if (firstOptional >= 0 && opts.slice(firstOptional).some((o) => o.required)) {
        return json(res, 400, { message: "Invalid Form Body", code: 50035, errors: { options: "Required options must be placed before non-required options" } });
      }
    }
    const list = guildId ? (this.guilds.get(guildId) ?? []) : this.global;
    const next: RegisteredCommand[] = parsed.data.map((c) => ({
      ...c,
      type: c.type ?? 1,
      id: list.find((o) => o.name === c.name)?.id ?? snowflake(),
      application_id: this.applicationId,
      version: snowflake(),
      ...(guildId ? { guild_id: guildId } : {}),
    }));
    if (guildId) this.guilds.set(guildId, next);
    else this.global.splice(0, this.global.length, ...next);
    return json(res, 200, next);
  }

  private callback(id: string, token: string, body: unknown, res: ServerResponse): true {
    const i = this.interactions.get(id);
    if (!i || i.token !== token || Date.now() - i.createdAt > this.callbackDeadlineMs) return json(res, 404, { message: "Unknown interaction", code: 10062 });
    if (i.acked) return json(res, 400, { message: "Interaction has already been acknowledged.", code: 40060 });
    const parsed = CallbackSchema.safeParse(body);
    if (!parsed.success) return json(res, 400, { message: "Invalid Form Body", code: 50035, errors: z.treeifyError(parsed.error) });
    const cb = parsed.data;
    if (cb.type === 4 && !cb.data?.content) return json(res, 400, { message: "Cannot send an empty message", code: 50006 });
    const ephemeral = ((cb.data?.flags ?? 0) & 64) !== 0;
    i.acked = { type: cb.type, ephemeral };
    if (cb.type === 4 || cb.type === 5) i.original = this.message(i, cb.type === 4 ? (cb.data?.content ?? "") : "", ephemeral);
    this.responses.push({ interactionId: id, kind: "callback", body: cb, at: Date.now() });
    res.writeHead(204);
    res.end();
    return true;
  }

  private async webhook(method: string, appId: string, token: string, original: boolean, req: IncomingMessage, res: ServerResponse): Promise<true> {
    const i = [...this.interactions.values()].find((x) => x.token === token);
    if (appId !== this.applicationId || !i) return json(res, 404, { message: "Unknown Webhook", code: 10015 });
    if (Date.now() - i.createdAt > 15 * 60_000) return json(res, 401, { message: "Invalid Webhook Token", code: 50027 });
    if (!i.acked) return json(res, 404, { message: "Unknown Message", code: 10008 });
    if (original && method === "GET") return i.original ? json(res, 200, i.original) : json(res, 404, { message: "Unknown Message", code: 10008 });
    if (original && method === "DELETE") {
      i.original = undefined;
      this.responses.push({ interactionId: i.id, kind: "delete", body: {}, at: Date.now() });
      res.writeHead(204);
      res.end();
      return true;
    }
    const parsed = EditSchema.safeParse(await readJson(req));
    if (!parsed.success) return json(res, 400, { message: "Invalid Form Body", code: 50035, errors: z.treeifyError(parsed.error) });
    if (original && method === "PATCH") {
      if (!i.original) return json(res, 404, { message: "Unknown Message", code: 10008 });
      i.original = { ...i.original, content: parsed.data.content ?? i.original.content, edited_timestamp: new Date().toISOString() };
      this.responses.push({ interactionId: i.id, kind: "edit", body: parsed.data, at: Date.now() });
      return json(res, 200, i.original);
    }
    if (!original && method === "POST") {
      if (!parsed.data.content) return json(res, 400, { message: "Cannot send an empty message", code: 50006 });
      this.responses.push({ interactionId: i.id, kind: "followup", body: parsed.data, at: Date.now() });
      return json(res, 200, this.message(i, parsed.data.content, false));
    }
    return json(res, 405, { message: "405: Method Not Allowed", code: 0 });
  }

  private message(i: FakeInteraction, content: string, ephemeral: boolean): Record<string, unknown> {
    return {
      id: snowflake(),
      type: 20,
      channel_id: i.channelId,
      content,
      author: userPayload(this.host.bot),
      flags: ephemeral ? 64 : 0,
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      interaction_metadata: { id: i.id, type: 2 },
      webhook_id: this.applicationId,
      application_id: this.applicationId,
      attachments: [],
      embeds: [],
      mentions: [],
      mention_roles: [],
      pinned: false,
      mention_everyone: false,
      tts: false,
    };
  }
}

function json(res: ServerResponse, status: number, body: unknown): true {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
  return true;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const raw = Buffer.concat(chunks).toString("utf8");
  if (!raw) return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}
