// The one schema of the config file. It accepts every key the PicoClaw and
// OpenClaw reference documents show (model_list, agents, providers, channels,
// tools, voice, heartbeat, session; OpenClaw's models.providers, env and
// model aliases), fills in defaults so that `{}` is a usable config, and is
// strict about structure so unknown keys can be reported by their full path
// (load.ts turns them into warnings and drops them).
import { z } from "zod";
import { mcpSectionSchema, mcpServersSchema, picoclawMcpSchema } from "../mcp/schema.ts";
import { execSchema, filesSchema } from "../sandbox/schema.ts";
import { memorySchema, skillsSchema } from "../skills/schema.ts";
import { CHANNELS, CHANNEL_IDS, missingCredentials, type ChannelId } from "../../channels/registry.ts";
import type { ChannelDefinition } from "../core/channel-definition.ts";
import { optText, optUrl } from "../core/config-fields.ts";
import { STORE_URL_HINT, storeUrlProblem } from "../store/location.ts";

const str = z.string();
const positive = z.number().positive();
const count = z.number().int().positive();
const stringList = z.array(str);
/** allow_from: Telegram user ids are often written as numbers; they become strings. */
const idList = z.array(z.union([str, z.number().transform(String)]));
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, "expected a time as HH:MM (24-hour)");

export const modelListEntry = z.strictObject({
  model_name: str.trim().min(1, "model_name is empty"),
  model: str.trim().min(1, "model is empty"),
  api_base: optUrl,
  api_key: optText,
  api_keys: stringList.optional(),
  /** seconds */
  request_timeout: positive.default(120),
  proxy: optUrl,
  rpm: count.optional(),
  extra_body: z.record(str, z.unknown()).optional(),
  custom_headers: z.record(str, str).optional(),
  max_tokens_field: optText,
  enabled: z.boolean().default(true),
  /** Azure OpenAI api-version */
  api_version: optText,
  /** model facts for compaction; the OpenClaw import writes it */
  context_window: count.optional(),
  max_tokens: count.optional(),
});
export type ModelListEntry = z.infer<typeof modelListEntry>;

const modelSelection = z.union([
  str,
  z.strictObject({ primary: optText, fallbacks: stringList.optional() }),
]);

const imageModel = z.strictObject({
  primary: str.min(1),
  fallbacks: stringList.optional(),
  timeoutMs: count.optional(),
});

/** OpenClaw's per-model settings under agents.defaults.models: "litellm/gpt-4": { alias: "GPT-4" } */
const modelAliasSpec = z.strictObject({ alias: optText, params: z.record(str, z.unknown()).optional() });

const agentDefaults = z.strictObject({
  model_name: optText,
  model: modelSelection.optional(),
  fallbacks: stringList.optional(),
  model_fallbacks: stringList.optional(),
  /** legacy: picks providers.<provider> for a bare `model` */
  provider: optText,
  workspace: optText,
  restrict_to_workspace: z.boolean().optional(),
  max_tokens: count.optional(),
  temperature: z.number().min(0).max(2).optional(),
  max_tool_iterations: count.default(20),
  imageGenerationModel: imageModel.optional(),
  models: z.record(str, modelAliasSpec).optional(),
});

const providerCreds = z.strictObject({ api_key: optText, api_base: optUrl, proxy: optUrl });

const groupTrigger = z.strictObject({ mention_only: z.boolean().optional(), prefixes: stringList.optional() });

/** The gateway's own keys of every channels.<id> block; the channel's definition adds the rest. */
const channelBase = {
  enabled: z.boolean().default(false),
  allow_from: idList.default([]),
  group_trigger: groupTrigger.optional(),
};

/** A channels.<id> block as the gateway sees it: its own keys typed, the channel's keys opaque. */
export type ChannelSection = {
  enabled: boolean;
  allow_from: string[];
  group_trigger?: z.infer<typeof groupTrigger>;
} & Record<string, unknown>;

/** "channels.qq.app_id is empty: copy ..." → "is empty: copy ..." (the path is printed beside it) */
function withoutKey(message: string, full: string): string {
  return message.startsWith(`${full} `) ? message.slice(full.length + 1) : message.startsWith(`${full}: `) ? message.slice(full.length + 2) : message;
}

/**
 * One channel's block: the gateway's keys plus the channel's settings. An
 * enabled channel with its credentials set also passes the adapter's own
 * checks here, so a value the adapter would refuse at start is a config
 * error at load and a refused reload, with the key path and the fix.
 */
function channelSchema(def: ChannelDefinition) {
  return z
    .strictObject({ ...channelBase, ...def.settings })
    .superRefine((cfg, ctx) => {
      const block = cfg as Record<string, unknown> & { enabled: boolean };
      if (!block.enabled || missingCredentials(def, block).length > 0) return;
      for (const issue of def.check(block)) {
        const path = issue.key ? issue.key.split(".") : [];
        const full = ["channels", def.id, ...path].join(".");
        // params.fix: the message already says how to fix it
        ctx.addIssue({ code: "custom", path, message: withoutKey(issue.message, full), params: { fix: true } });
      }
    })
    .prefault({});
}

const channels = z.strictObject(Object.fromEntries(CHANNELS.map((def) => [def.id, channelSchema(def)]))) as unknown as z.ZodType<
  Record<ChannelId, ChannelSection>,
  Partial<Record<ChannelId, Record<string, unknown>>>
>;
export { CHANNEL_IDS };

const searchBackend = z.strictObject({
  enabled: z.boolean().optional(),
  api_key: optText,
  max_results: z.number().int().min(1).max(50).default(5),
  base_url: optUrl,
  model: optText,
});

const tools = z.strictObject({
  web: z
    .strictObject({
      provider: z.enum(["brave", "duckduckgo", "perplexity", "searxng"]).optional(),
      brave: searchBackend.optional(),
      duckduckgo: searchBackend.optional(),
      perplexity: searchBackend.optional(),
      searxng: searchBackend.optional(),
      fetch: z
        .strictObject({
          max_bytes: count.optional(),
          max_chars: count.optional(),
          allow_hosts: stringList.optional(),
          timeout_seconds: positive.optional(),
        })
        .optional(),
    })
    .prefault({}),
  cron: z.strictObject({ exec_timeout_minutes: positive.default(5) }).prefault({}),
  message: z.strictObject({ allow_to: stringList.optional() }).prefault({}),
  exec: execSchema,
  files: filesSchema,
  memory: memorySchema,
  /** PicoClaw's MCP block */
  mcp: picoclawMcpSchema,
});

const openclawModel = z.strictObject({
  id: str.trim().min(1, "model id is empty"),
  name: optText,
  api: optText,
  reasoning: z.boolean().optional(),
  input: stringList.optional(),
  contextWindow: count.optional(),
  maxTokens: count.optional(),
  cost: z.record(str, z.number()).optional(),
  headers: z.record(str, str).optional(),
});

/** OpenClaw `api` values Switchboard can speak; others are read as openai-completions, with a warning. */
export const OPENCLAW_APIS = ["openai-completions", "openai-responses", "anthropic-messages"] as const;

const openclawProvider = z.strictObject({
  baseUrl: optUrl,
  apiKey: optText,
  api: optText,
  headers: z.record(str, str).optional(),
  authHeader: z.boolean().optional(),
  models: z.array(openclawModel).optional(),
  /** doc 004: request.allowPrivateNetwork for a LAN-hosted proxy */
  request: z.strictObject({ allowPrivateNetwork: z.boolean().optional() }).optional(),
});
export type OpenClawProvider = z.infer<typeof openclawProvider>;

const envValue = z.union([str, z.number().transform(String), z.boolean().transform(String)]);

export const configSchema = z.strictObject({
  $schema: str.optional(),
  model_list: z.array(modelListEntry).default([]),
  agents: z.strictObject({ defaults: agentDefaults.prefault({}) }).prefault({}),
  session: z
    .strictObject({
      dm_scope: z.enum(["main", "per-peer", "per-channel-peer", "per-account-channel-peer"]).default("per-channel-peer"),
    })
    .prefault({}),
  providers: z.record(str, providerCreds).default({}),
  voice: z
    .strictObject({
      model_name: optText,
      echo_transcription: z.boolean().default(false),
      max_bytes: count.optional(),
      language: optText,
    })
    .prefault({}),
  channels: channels.prefault({}),
  tools: tools.prefault({}),
  heartbeat: z
    .strictObject({
      enabled: z.boolean().default(false),
      /** minutes; below 5 is raised to 5 with a warning (load.ts) */
      interval: positive.default(30),
      active_hours: z.strictObject({ start: hhmm, end: hhmm, timezone: optText }).optional(),
    })
    .prefault({}),
  gateway: z
    .strictObject({
      host: str.default("127.0.0.1"),
      port: z.number().int().min(0).max(65535).default(18790),
      token: optText,
      /** extra Host names served without a token (besides localhost, 127.0.0.1, [::1]) */
      allowed_hosts: z
        .array(str.trim().regex(/^(\*|\[[0-9a-f:.]+\](:\d+)?|[a-z0-9.-]+(:\d+)?)$/i, 'must be a Host name such as "gateway.lan", "gateway.lan:18790" or "[fd00::1]" (no scheme or path), or "*"'))
        .default([]),
      cors: z
        .strictObject({
          origins: z
            .array(str.trim().regex(/^(\*|https?:\/\/[^/\s]+)$/i, 'must be a page origin such as "http://localhost:3000" (scheme and host, no path), or "*"'))
            .default([]),
        })
        .prefault({}),
      api: z
        .strictObject({
          /** the OpenAI `user` field names a persistent session (off: only x-switchboard-session does) */
          user_sessions: z.boolean().default(false),
        })
        .prefault({}),
      /** sessions answered at the same time; more wait (their messages are stored) */
      max_turns_in_flight: z.number().int().min(1).max(1000).default(8),
      /** answered messages, sent replies and their media are deleted after this many days */
      retention_days: z.number().positive().max(3650).default(7),
    })
    .prefault({}),
  models: z
    .strictObject({
      mode: z.enum(["merge", "replace"]).default("merge"),
      providers: z.record(str, openclawProvider).default({}),
    })
    .prefault({}),
  env: z.record(str, envValue).default({}),
  mcp: mcpSectionSchema,
  /** Claude Desktop's form */
  mcpServers: mcpServersSchema.optional(),
  skills: skillsSchema,
  store: z
    .strictObject({
      /** sqlite:PATH or postgres://…; unset: the SQLite file in the state directory. SWITCHBOARD_DATABASE_URL overrides it */
      url: str
        .trim()
        .superRefine((url, ctx) => {
          const problem = storeUrlProblem(url);
          if (problem) ctx.addIssue({ code: "custom", message: `${problem}; ${STORE_URL_HINT}` });
        })
        .optional(),
    })
    .prefault({}),
});

export type SwitchboardConfig = z.infer<typeof configSchema>;

/**
 * One check of a config against the schema. A config is checked a few times
 * per start or reload, never in a loop: zod's compiled fast path (a generated
 * function per object schema, built on its first use) cost ~11 ms of start CPU
 * for this schema and saves a fraction of a millisecond per later check, so
 * these checks run without it. The option is per call: the schemas checked per
 * message (webhook bodies, tool arguments) keep their compiled path.
 */
export function checkAgainstSchema(input: unknown): ReturnType<typeof configSchema.safeParse> {
  return configSchema.safeParse(input, { jitless: true });
}
export type ChannelsSection = SwitchboardConfig["channels"];

/** Keys whose values are secrets: never printed in warnings, errors or `config get`. */
export const SECRET_KEYS: ReadonlySet<string> = new Set([
  "api_key",
  "api_keys",
  "apiKey",
  "token",
  "app_secret",
  "encrypt_key",
  "verification_token",
  "webhook_secret",
]);

/** Containers whose every value may be a secret (headers carry Authorization, env carries keys). */
const SECRET_CONTAINERS: ReadonlySet<string> = new Set(["custom_headers", "headers", "env", "extra_body"]);

/** token, app_secret, apiKey, proxy_password ... but not max_tokens or token_url */
const SECRET_NAME = /(^|[_-])(secret|password|passwd|token|api_?keys?)$|(Secret|Password|Token|ApiKey|ApiKeys)$/i;

/** True when a value at this path may hold a secret, e.g. model_list[0].api_keys[1] or env.LITELLM_API_KEY. */
export function isSecretPath(path: readonly PropertyKey[]): boolean {
  return path.some((p) => typeof p === "string" && (SECRET_KEYS.has(p) || SECRET_CONTAINERS.has(p) || SECRET_NAME.test(p)));
}
