// `switchboard onboard`: writes a config and the workspace. Interactive on a
// terminal; every answer can also be given as a flag, e.g.
//   switchboard onboard --auth-choice litellm-api-key --base-url http://localhost:4000 --api-key sk-1234 --model gpt-4
import { existsSync } from "node:fs";
import { createInterface } from "node:readline/promises";
import type { Command } from "commander";
import { SwitchboardError } from "../core/errors.ts";
import { ensureWorkspace } from "../agent/workspace.ts";
import { writeConfigFile } from "../config/migrate.ts";
import { withV1 } from "../config/models.ts";
import { expandHome, resolvePaths } from "../config/paths.ts";
import { parseConfigText } from "../config/load.ts";
import { vendor } from "../providers/catalogue.ts";
import { writeLine } from "./io.ts";
import type { CliContext } from "./main.ts";

/** auth choice → vendor prefix, default model and whether a base URL is asked */
const CHOICES: Record<string, { vendor: string; model: string; askBase: boolean; needsKey: boolean }> = {
  "litellm-api-key": { vendor: "litellm", model: "gpt-4", askBase: true, needsKey: true },
  "openai-api-key": { vendor: "openai", model: "gpt-4o", askBase: false, needsKey: true },
  "anthropic-api-key": { vendor: "anthropic-messages", model: "claude-sonnet-4-5", askBase: false, needsKey: true },
  "openrouter-api-key": { vendor: "openrouter", model: "anthropic/claude-sonnet-4.5", askBase: false, needsKey: true },
  "zhipu-api-key": { vendor: "zhipu", model: "glm-4.7", askBase: false, needsKey: true },
  "deepseek-api-key": { vendor: "deepseek", model: "deepseek-chat", askBase: false, needsKey: true },
  "gemini-api-key": { vendor: "gemini", model: "gemini-2.5-flash", askBase: false, needsKey: true },
  "groq-api-key": { vendor: "groq", model: "llama-3.3-70b-versatile", askBase: false, needsKey: true },
  ollama: { vendor: "ollama", model: "llama3", askBase: true, needsKey: false },
  vllm: { vendor: "vllm", model: "default", askBase: true, needsKey: false },
  custom: { vendor: "openai", model: "my-model", askBase: true, needsKey: false },
};

interface OnboardFlags {
  authChoice?: string;
  baseUrl?: string;
  apiKey?: string;
  model?: string;
  telegramToken?: string;
  discordToken?: string;
  allowFrom?: string;
  workspace?: string;
  force?: boolean;
  nonInteractive?: boolean;
}

export interface OnboardAnswers {
  authChoice: string;
  baseUrl?: string;
  apiKey?: string;
  model: string;
  telegramToken?: string;
  discordToken?: string;
  allowFrom: string[];
  workspace?: string;
}

/** The config object for a set of answers. */
export function buildOnboardConfig(a: OnboardAnswers): Record<string, unknown> {
  const choice = CHOICES[a.authChoice];
  if (!choice) throw new SwitchboardError("usage", `--auth-choice must be one of: ${Object.keys(CHOICES).join(", ")}`);
  const ref = `${choice.vendor}/${a.model}`;
  // LiteLLM, like OpenClaw, takes the proxy root; the OpenAI client path /v1 is appended
  const base = a.baseUrl ? (choice.vendor === "litellm" ? withV1(a.baseUrl) : a.baseUrl.replace(/\/+$/, "")) : undefined;
  const creds = { ...(a.apiKey ? { api_key: a.apiKey } : {}), ...(base ? { api_base: base } : {}) };
  const cfg: Record<string, unknown> = {
    // providers.<vendor> lets any `vendor/model` reference reuse these credentials,
    // e.g. `switchboard config set agents.defaults.model.primary litellm/claude-3-opus`
    ...(Object.keys(creds).length && choice.vendor !== "openai" ? { providers: { [choice.vendor]: creds } } : {}),
    model_list: [{ model_name: ref, model: ref, ...creds }],
    agents: { defaults: { model: { primary: ref }, ...(a.workspace ? { workspace: a.workspace } : {}) } },
  };
  const channels: Record<string, unknown> = {};
  if (a.telegramToken) channels.telegram = { enabled: true, token: a.telegramToken, allow_from: a.allowFrom };
  if (a.discordToken) channels.discord = { enabled: true, token: a.discordToken, allow_from: a.allowFrom };
  if (Object.keys(channels).length) cfg.channels = channels;
  cfg.tools = { web: { duckduckgo: { enabled: true, max_results: 5 } } };
  cfg.heartbeat = { enabled: false, interval: 30 };
  return cfg;
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command("onboard")
    .description("set up a config and a workspace")
    .option("--auth-choice <choice>", `provider: ${Object.keys(CHOICES).join(", ")}`)
    .option("--base-url <url>", "endpoint (LiteLLM: the proxy root, e.g. http://localhost:4000)")
    .option("--api-key <key>", "API key")
    .option("--model <name>", "model name as the provider knows it")
    .option("--telegram-token <token>", "enable Telegram with this bot token")
    .option("--discord-token <token>", "enable Discord with this bot token")
    .option("--allow-from <ids>", "comma-separated user ids or @usernames allowed to talk to the bot")
    .option("--workspace <dir>", "workspace folder (default <state>/workspace)")
    .option("--force", "overwrite an existing config (a backup is kept)")
    .option("--non-interactive", "never ask; use flags and defaults")
    .action(async (flags: OnboardFlags) => {
      const paths = resolvePaths(ctx.io.env, ctx.configPath);
      if (existsSync(paths.configFile) && !flags.force) {
        throw new SwitchboardError("usage", `${paths.configFile} already exists; pass --force to replace it (a backup is kept), or edit it with \`switchboard config set\``);
      }
      const ask = ctx.io.interactive && !flags.nonInteractive;
      const rl = ask ? createInterface({ input: ctx.io.stdin, output: ctx.io.stdout }) : undefined;
      const q = async (question: string, current: string | undefined, fallback?: string): Promise<string | undefined> => {
        if (current !== undefined || !rl) return current ?? fallback;
        const answer = (await rl.question(`${question}${fallback ? ` [${fallback}]` : ""}: `)).trim();
        return answer || fallback;
      };
      try {
        const authChoice = (await q(`Provider (${Object.keys(CHOICES).join(", ")})`, flags.authChoice, "litellm-api-key"))!;
        const choice = CHOICES[authChoice];
        if (!choice) throw new SwitchboardError("usage", `--auth-choice must be one of: ${Object.keys(CHOICES).join(", ")}`);
        const envBase = authChoice === "litellm-api-key" ? ctx.io.env.LITELLM_BASE_URL : undefined;
        const baseUrl = choice.askBase ? await q("Base URL", flags.baseUrl, envBase ?? (authChoice === "litellm-api-key" ? "http://localhost:4000" : vendor(choice.vendor)?.apiBase || undefined)) : flags.baseUrl;
        const envKey = authChoice === "litellm-api-key" ? ctx.io.env.LITELLM_API_KEY : vendor(choice.vendor)?.keyEnv ? ctx.io.env[vendor(choice.vendor)!.keyEnv!] : undefined;
        const apiKey = await q("API key", flags.apiKey ?? envKey, undefined);
        if (choice.needsKey && !apiKey) throw new SwitchboardError("usage", `${authChoice} needs an API key: pass --api-key`);
        const model = (await q("Model", flags.model, (authChoice === "litellm-api-key" ? ctx.io.env.LITELLM_MODEL : undefined) ?? choice.model))!;
        const telegramToken = await q("Telegram bot token (empty to skip)", flags.telegramToken, undefined);
        const allowFrom = (await q("Allowed user ids/@usernames, comma-separated (empty: pairing codes)", flags.allowFrom, undefined)) ?? "";
        const answers: OnboardAnswers = {
          authChoice,
          model,
          allowFrom: allowFrom.split(",").map((s) => s.trim()).filter(Boolean),
          ...(baseUrl ? { baseUrl } : {}),
          ...(apiKey ? { apiKey } : {}),
          ...(telegramToken ? { telegramToken } : {}),
          ...(flags.discordToken ? { discordToken: flags.discordToken } : {}),
          ...(flags.workspace ? { workspace: flags.workspace } : {}),
        };
        const cfg = buildOnboardConfig(answers);
        parseConfigText(JSON.stringify(cfg), { env: { ...ctx.io.env } });
        const backup = writeConfigFile(paths.configFile, cfg);
        const workspace = expandHome(answers.workspace ?? paths.workspace);
        const written = ensureWorkspace(workspace);
        writeLine(ctx.io.stdout, `wrote ${paths.configFile}${backup ? ` (backup: ${backup})` : ""}`);
        writeLine(ctx.io.stdout, `workspace ${workspace}${written.length ? ` (created ${written.join(", ")})` : ""}`);
        writeLine(ctx.io.stdout, `next: switchboard agent -m "hello"   then   switchboard gateway`);
      } finally {
        rl?.close();
      }
    });
}

