// The one schema of the config file. It accepts every key the PicoClaw and
// OpenClaw documents show (model_list, agents, providers, channels, tools,
// voice, heartbeat, session, and OpenClaw's models.providers / env / model
// aliases), fills in defaults, and is strict about structure so unknown keys
// can be reported by name (see reader.ts, which turns them into warnings).
import { z } from "zod";

const str = z.string();
const positive = z.number().positive();
const stringList = z.array(z.union([z.string(), z.number().transform(String)]));

export const modelListEntry = z.strictObject({
  model_name: str.min(1, "model_name is empty"),
  model: str.min(1, "model is empty"),
  api_base: str.optional(),
  api_key: str.optional(),
  api_keys: z.array(str).optional(),
  /** seconds */
  request_timeout: positive.default(120),
  proxy: str.optional(),
  rpm: z.number().int().positive().optional(),
  extra_body: z.record(z.string(), z.unknown()).optional(),
  custom_headers: z.record(z.string(), z.string()).optional(),
  max_tokens_field: str.optional(),
  enabled: z.boolean().default(true),
  /** Azure OpenAI api-version */
  api_version: str.optional(),
  context_window: z.number().int().positive().optional(),
});
export type ModelListEntry = z.infer<typeof modelListEntry>;

const modelSelection = z.union([
  str,
  z.strictObject({ primary: str.optional(), fallbacks: z.array(str).optional() }),
]);

const imageModel = z.strictObject({
  primary: str,
  fallbacks: z.array(str).optional(),
  timeoutMs: z.number().int().positive().optional(),
});

const agentDefaults = z.strictObject({
  model_name: str.optional(),
  model: modelSelection.optional(),
  fallbacks: z.array(str).optional(),
  model_fallbacks: z.array(str).optional(),
  /** legacy: picks providers.<provider> for a bare `model` */
  provider: str.optional(),
  workspace: str.optional(),
  restrict_to_workspace: z.boolean().optional(),
  max_tokens: z.number().int().positive().optional(),
  temperature: z.number().min(0).max(2).optional(),
  max_tool_iterations: z.number().int().positive().default(20),
  imageGenerationModel: imageModel.optional(),
  /** OpenClaw aliases: "litellm/gpt-4": { alias: "GPT-4" } */
  models: z.record(z.string(), z.looseObject({ alias: str.optional() })).optional(),
});

const providerCreds = z.looseObject({ api_key: str.optional(), api_base: str.optional(), proxy: str.optional() });

const groupTrigger = z.strictObject({ mention_only: z.boolean().optional(), prefixes: z.array(str).optional() });

const channelBase = {
  enabled: z.boolean().default(false),
  allow_from: stringList.default([]),
  group_trigger: groupTrigger.optional(),
  proxy: str.optional(),
};

const channels = z.strictObject({
  telegram: z
    .strictObject({
      ...channelBase,
      token: str.default(""),
      api_base: str.optional(),
      mode: z.enum(["polling", "webhook"]).default("polling"),
      webhook_url: str.optional(),
      webhook_secret: str.optional(),
    })
    .prefault({}),
  discord: z.strictObject({ ...channelBase, token: str.default(""), api_base: str.optional() }).prefault({}),
  whatsapp: z
    .strictObject({
      ...channelBase,
      bridge_url: str.default("ws://localhost:3001"),
      use_native: z.boolean().default(false),
      session_store_path: str.default(""),
    })
    .prefault({}),
  feishu: z
    .strictObject({
      ...channelBase,
      app_id: str.default(""),
      app_secret: str.default(""),
      encrypt_key: str.default(""),
      verification_token: str.default(""),
      domain: z.enum(["feishu", "lark"]).default("feishu"),
      mode: z.enum(["websocket", "webhook"]).default("websocket"),
      api_base: str.optional(),
    })
    .prefault({}),
  qq: z
    .strictObject({
      ...channelBase,
      app_id: str.default(""),
      app_secret: str.default(""),
      sandbox: z.boolean().default(false),
      api_base: str.optional(),
      token_url: str.optional(),
    })
    .prefault({}),
});

const searchBackend = z.strictObject({
  enabled: z.boolean().optional(),
  api_key: str.optional(),
  max_results: z.number().int().min(1).max(50).default(5),
  base_url: str.optional(),
  model: str.optional(),
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
          max_bytes: z.number().int().positive().optional(),
          max_chars: z.number().int().positive().optional(),
          allow_hosts: z.array(str).optional(),
          timeout_seconds: positive.optional(),
        })
        .optional(),
    })
    .prefault({}),
  cron: z.strictObject({ exec_timeout_minutes: positive.default(5) }).prefault({}),
  message: z.strictObject({ allow_to: z.array(str).optional() }).prefault({}),
});

const openclawModel = z.looseObject({
  id: str.min(1),
  name: str.optional(),
  reasoning: z.boolean().optional(),
  input: z.array(str).optional(),
  contextWindow: z.number().int().positive().optional(),
  maxTokens: z.number().int().positive().optional(),
});

const openclawProvider = z.looseObject({
  baseUrl: str.optional(),
  apiKey: str.optional(),
  api: str.optional(),
  headers: z.record(z.string(), z.string()).optional(),
  models: z.array(openclawModel).optional(),
  request: z.looseObject({ allowPrivateNetwork: z.boolean().optional() }).optional(),
});

export const configSchema = z.strictObject({
  $schema: str.optional(),
  model_list: z.array(modelListEntry).default([]),
  agents: z.strictObject({ defaults: agentDefaults.prefault({}) }).prefault({}),
  session: z
    .strictObject({ dm_scope: z.enum(["main", "per-peer", "per-channel-peer", "per-account-channel-peer"]).default("per-channel-peer") })
    .prefault({}),
  providers: z.record(z.string(), providerCreds).default({}),
  voice: z
    .strictObject({
      model_name: str.optional(),
      echo_transcription: z.boolean().default(false),
      max_bytes: z.number().int().positive().optional(),
      language: str.optional(),
    })
    .prefault({}),
  channels: channels.prefault({}),
  tools: tools.prefault({}),
  heartbeat: z
    .strictObject({
      enabled: z.boolean().default(false),
      interval: z.number().positive().default(30),
      active_hours: z.strictObject({ start: str, end: str, timezone: str.optional() }).optional(),
    })
    .prefault({}),
  gateway: z
    .strictObject({
      host: str.default("127.0.0.1"),
      port: z.number().int().min(0).max(65535).default(18790),
      token: str.optional(),
    })
    .prefault({}),
  models: z
    .strictObject({
      mode: z.enum(["merge", "replace"]).default("merge"),
      providers: z.record(z.string(), openclawProvider).default({}),
    })
    .prefault({}),
  env: z.record(z.string(), z.union([z.string(), z.number().transform(String), z.boolean().transform(String)])).default({}),
});

export type SwitchboardConfig = z.infer<typeof configSchema>;
export type ChannelsSection = SwitchboardConfig["channels"];

/** Keys whose values are secrets: never printed in warnings, errors or `config get`. */
export const SECRET_KEYS = new Set(["api_key", "api_keys", "apiKey", "token", "app_secret", "encrypt_key", "verification_token", "webhook_secret"]);
