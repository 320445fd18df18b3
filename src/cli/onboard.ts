// `switchboard onboard`: writes a config and the workspace. On a terminal a
// wizard asks (wizard.ts); every answer can also be given as a flag, e.g.
//   switchboard onboard --auth-choice litellm-api-key --base-url http://localhost:4000 --api-key sk-1234 --model gpt-4
import { existsSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { spawn } from "node:child_process";
import type { Command } from "commander";
import { SwitchboardError } from "../core/errors.ts";
import { ensureWorkspace } from "../agent/workspace.ts";
import { writeConfigFile } from "../config/migrate.ts";
import { withV1 } from "../config/models.ts";
import { expandHome, resolvePaths } from "../config/paths.ts";
import { parseConfigText, readRawConfig } from "../config/load.ts";
import { vendor } from "../providers/catalogue.ts";
import { writeLine } from "./io.ts";
import type { CliContext } from "./main.ts";
import { INSTALL_ROOT } from "./service.ts";
import { runWizard } from "./wizard.ts";

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
  /** channel id → its config block (the wizard's answers) */
  channels?: Record<string, Record<string, unknown>>;
  allowFrom: string[];
  workspace?: string;
  /** gateway.token for the HTTP API */
  gatewayToken?: string;
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
  for (const [id, c] of Object.entries(a.channels ?? {})) channels[id] = { ...c, allow_from: a.allowFrom };
  if (a.telegramToken) channels.telegram = { enabled: true, token: a.telegramToken, allow_from: a.allowFrom };
  if (a.discordToken) channels.discord = { enabled: true, token: a.discordToken, allow_from: a.allowFrom };
  if (Object.keys(channels).length) cfg.channels = channels;
  cfg.tools = { web: { duckduckgo: { enabled: true, max_results: 5 } } };
  cfg.heartbeat = { enabled: false, interval: 30 };
  if (a.gatewayToken) cfg.gateway = { token: a.gatewayToken };
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
      const ask = ctx.io.interactive && !flags.nonInteractive && !flags.authChoice;
      let answers: OnboardAnswers;
      let installService = false;
      if (ask) {
        // re-running keeps each channel's other settings (api_base, proxy, …)
        const existing = existsSync(paths.configFile) ? ((readRawConfig(paths.configFile).raw.channels ?? {}) as Record<string, Record<string, unknown>>) : {};
        const w = await runWizard({ io: ctx.io, choices: CHOICES, build: (r) => buildOnboardConfig(r), existingChannels: existing, stateDir: paths.home });
        installService = w.installService;
        answers = { ...w, ...(flags.workspace ? { workspace: flags.workspace } : {}) };
      } else {
        const authChoice = flags.authChoice ?? "litellm-api-key";
        const choice = CHOICES[authChoice];
        if (!choice) throw new SwitchboardError("usage", `--auth-choice must be one of: ${Object.keys(CHOICES).join(", ")}`);
        const litellm = authChoice === "litellm-api-key";
        const envBase = litellm ? ctx.io.env.LITELLM_BASE_URL : undefined;
        const baseUrl = flags.baseUrl ?? (choice.askBase ? (envBase ?? (litellm ? "http://localhost:4000" : vendor(choice.vendor)?.apiBase || undefined)) : undefined);
        const keyEnv = litellm ? "LITELLM_API_KEY" : vendor(choice.vendor)?.keyEnv;
        const apiKey = flags.apiKey ?? (keyEnv ? ctx.io.env[keyEnv] : undefined);
        if (choice.needsKey && !apiKey) throw new SwitchboardError("usage", `${authChoice} needs an API key: pass --api-key`);
        answers = {
          authChoice,
          model: flags.model ?? (litellm ? ctx.io.env.LITELLM_MODEL : undefined) ?? choice.model,
          allowFrom: (flags.allowFrom ?? "").split(",").map((x) => x.trim()).filter(Boolean),
          gatewayToken: randomBytes(24).toString("base64url"),
          ...(baseUrl ? { baseUrl } : {}),
          ...(apiKey ? { apiKey } : {}),
          ...(flags.telegramToken ? { telegramToken: flags.telegramToken } : {}),
          ...(flags.discordToken ? { discordToken: flags.discordToken } : {}),
          ...(flags.workspace ? { workspace: flags.workspace } : {}),
        };
      }
      {
        const cfg = buildOnboardConfig(answers);
        parseConfigText(JSON.stringify(cfg), { env: { ...ctx.io.env } });
        const backup = writeConfigFile(paths.configFile, cfg);
        const workspace = expandHome(answers.workspace ?? paths.workspace);
        const written = ensureWorkspace(workspace);
        writeLine(ctx.io.stdout, `wrote ${paths.configFile}${backup ? ` (backup: ${backup})` : ""}`);
        writeLine(ctx.io.stdout, `workspace ${workspace}${written.length ? ` (created ${written.join(", ")})` : ""}`);
        if (installService) {
          const code = await new Promise<number>((resolve) => {
            const child = spawn(process.execPath, [`${INSTALL_ROOT}/bin/switchboard.js`, "service", "install", "--user"], { stdio: ["ignore", "inherit", "inherit"], env: ctx.io.env });
            child.on("exit", (c) => resolve(c ?? 1));
            child.on("error", () => resolve(1));
          });
          if (code !== 0) writeLine(ctx.io.stdout, "the service was not installed; run `switchboard service install --user` (or sudo switchboard service install) later");
        } else {
          writeLine(ctx.io.stdout, `next: switchboard agent -m "hello"   then   switchboard gateway   (or switchboard service install)`);
        }
      }
    });
}

