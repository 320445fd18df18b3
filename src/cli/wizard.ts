// The interactive half of `switchboard onboard`, on @clack/prompts: masked
// secrets, answers checked as they are typed (a typo is asked again, never
// the end of the wizard), a live request to the model and a live check of
// each channel's credentials (with the choice to correct them), a generated
// gateway token, and the offer to install the service.
import { randomBytes } from "node:crypto";
import * as p from "@clack/prompts";
import { SwitchboardError } from "../core/errors.ts";
import { silentLogger } from "../core/logger.ts";
import { parseConfigText } from "../config/load.ts";
import { buildModelDirectory } from "../config/models.ts";
import { knownChannels, loadChannels, missingCredentials } from "../gateway/channels.ts";
import { vendor } from "../providers/catalogue.ts";
import type { CliIO } from "./io.ts";
import { PROBE_FIXES, probeModel } from "./probe.ts";

export interface Choice {
  vendor: string;
  model: string;
  askBase: boolean;
  needsKey: boolean;
}

export interface WizardResult {
  authChoice: string;
  baseUrl?: string;
  apiKey?: string;
  model: string;
  channels: Record<string, Record<string, unknown>>;
  allowFrom: string[];
  gatewayToken: string;
  installService: boolean;
}

export interface WizardDeps {
  io: CliIO;
  choices: Record<string, Choice>;
  /** the config a set of answers produces (onboard's buildOnboardConfig) */
  build: (r: Omit<WizardResult, "installService">) => Record<string, unknown>;
  /** what the existing config says per channel (api_base, proxy, …), kept as the base */
  existingChannels: Record<string, Record<string, unknown>>;
  stateDir: string;
}

const CHANNEL_LABELS: Record<string, string> = { telegram: "Telegram", discord: "Discord", feishu: "Feishu / Lark", whatsapp: "WhatsApp", qq: "QQ" };

/** a cancelled prompt (Ctrl-C, Esc) ends the wizard without writing anything */
function answer<T>(v: T): Exclude<T, symbol> {
  if (p.isCancel(v)) throw new SwitchboardError("usage", "setup cancelled; nothing was written");
  return v as Exclude<T, symbol>;
}

function isUrl(v: string | undefined): string | undefined {
  try {
    const u = new URL((v ?? "").trim());
    return u.protocol === "http:" || u.protocol === "https:" ? undefined : "use an http:// or https:// address";
  } catch {
    return `"${v ?? ""}" is not a URL; write it like http://localhost:4000`;
  }
}

const secretKey = (key: string) => /token|secret|key|password/i.test(key);

export async function runWizard(d: WizardDeps): Promise<WizardResult> {
  const io = { input: d.io.stdin, output: d.io.stdout };
  p.intro("Switchboard setup", io);
  const authChoice = answer(
    await p.select({
      ...io,
      message: "Which model provider?",
      options: Object.entries(d.choices).map(([value, c]) => ({ value, label: value, hint: `${c.vendor}, e.g. ${c.model}` })),
    }),
  );
  const choice = d.choices[authChoice]!;
  const envKeyName = authChoice === "litellm-api-key" ? "LITELLM_API_KEY" : vendor(choice.vendor)?.keyEnv;
  let baseUrl: string | undefined;
  let apiKey: string | undefined;
  let model = "";
  const askBase = async () => {
    const fallback = (authChoice === "litellm-api-key" ? d.io.env.LITELLM_BASE_URL : undefined) ?? (authChoice === "litellm-api-key" ? "http://localhost:4000" : vendor(choice.vendor)?.apiBase || "http://localhost:8000/v1");
    baseUrl = answer(await p.text({ ...io, message: "Base URL of the endpoint", placeholder: fallback, defaultValue: fallback, validate: (v) => (v ? isUrl(v) : undefined) })).trim();
  };
  const askKey = async () => {
    const fromEnv = envKeyName ? d.io.env[envKeyName] : undefined;
    const typed = answer(await p.password({ ...io, message: `API key${fromEnv ? ` (empty: use $${envKeyName})` : choice.needsKey ? "" : " (empty for none)"}`, mask: "•", validate: (v) => (choice.needsKey && !fromEnv && !v?.trim() ? "this provider needs an API key" : undefined) })).trim();
    apiKey = typed || fromEnv || undefined;
  };
  if (choice.askBase) await askBase();
  await askKey();
  model = answer(await p.text({ ...io, message: "Model name, as the provider knows it", placeholder: choice.model, defaultValue: choice.model })).trim() || choice.model;

  // a real request before anything is written
  for (;;) {
    const cfg = d.build({ authChoice, model, channels: {}, allowFrom: [], gatewayToken: "", ...(baseUrl ? { baseUrl } : {}), ...(apiKey ? { apiKey } : {}) });
    const parsed = parseConfigText(JSON.stringify(cfg), { env: { ...d.io.env } });
    const entry = buildModelDirectory(parsed.config, d.io.env).all()[0]!;
    const s = p.spinner({ output: d.io.stdout });
    s.start(`Asking ${model} at ${entry.apiBase} for one token`);
    const probe = await probeModel(entry, 0);
    if (probe.ok) {
      s.stop(`${model} answered in ${probe.latencyMs} ms`);
      break;
    }
    s.error(`${model} did not answer: ${probe.reason}: ${probe.message}`);
    const next = answer(
      await p.select({
        ...io,
        message: PROBE_FIXES[probe.reason ?? ""] ?? "What now?",
        options: [
          { value: "key", label: "enter the API key again" },
          ...(choice.askBase ? [{ value: "base", label: "enter the base URL again" }] : []),
          { value: "model", label: "enter the model name again" },
          { value: "keep", label: "keep these settings anyway" },
        ],
      }),
    );
    if (next === "keep") break;
    if (next === "key") await askKey();
    if (next === "base") await askBase();
    if (next === "model") model = answer(await p.text({ ...io, message: "Model name", initialValue: model })).trim() || model;
  }

  const picked = answer(
    await p.multiselect({
      ...io,
      message: "Which chat channels? (space to pick, enter to go on)",
      required: false,
      options: knownChannels().map((id) => ({ value: id, label: CHANNEL_LABELS[id] ?? id })),
    }),
  );
  const channels: Record<string, Record<string, unknown>> = {};
  for (const id of picked) channels[id] = await askChannel(d, io, id);

  const allow = answer(await p.text({ ...io, message: "Who may talk to the bot? User ids or @usernames, comma-separated (empty: strangers get a pairing code)", defaultValue: "" }));
  const gatewayToken = randomBytes(24).toString("base64url");
  p.note(`${gatewayToken}\nThe HTTP API and /status, /metrics ask for it (Authorization: Bearer …); it is saved as gateway.token.`, "Gateway token", { output: d.io.stdout });
  const installService = answer(await p.confirm({ ...io, message: "Install Switchboard as a systemd user service now?", initialValue: false }));
  return { authChoice, model, channels, allowFrom: allow.split(",").map((s) => s.trim()).filter(Boolean), gatewayToken, installService, ...(baseUrl ? { baseUrl } : {}), ...(apiKey ? { apiKey } : {}) };
}

/** a channel's credentials (the keys the channel requires), checked against its platform */
async function askChannel(d: WizardDeps, io: { input: CliIO["stdin"]; output: CliIO["stdout"] }, id: string): Promise<Record<string, unknown>> {
  const label = CHANNEL_LABELS[id] ?? id;
  const cfg: Record<string, unknown> = { ...(d.existingChannels[id] ?? {}), enabled: true };
  if (id === "whatsapp") {
    cfg.use_native = true;
    p.log.info(`WhatsApp pairs with a QR code: run \`switchboard channels login whatsapp\` after this setup.`, { output: d.io.stdout });
    return cfg;
  }
  const ask = async (key: string) => {
    const opts = { ...io, message: `${label} ${key.replace(/_/g, " ")}`, validate: (v: string | undefined) => (v?.trim() ? undefined : `${label} needs its ${key}`) };
    cfg[key] = answer(secretKey(key) ? await p.password({ ...opts, mask: "•" }) : await p.text(opts)).trim();
  };
  for (const key of missingCredentials(id, {})) await ask(key);
  for (;;) {
    const [loaded] = await loadChannels({ [id]: cfg } as never, silentLogger(), d.stateDir);
    const s = p.spinner({ output: d.io.stdout });
    s.start(`Checking the ${label} credentials with ${label}`);
    try {
      const check = loaded?.adapter.checkCredentials?.bind(loaded.adapter) ?? loaded?.adapter.probe?.bind(loaded.adapter);
      if (!check) throw new Error(`${label} has no credential check; it connects when the gateway starts`);
      await check();
      s.stop(`${label} accepted the credentials`);
      return cfg;
    } catch (err) {
      s.error(`${label}: ${(err as Error).message}`);
    } finally {
      await loaded?.adapter.stop().catch(() => undefined);
    }
    const next = answer(await p.select({ ...io, message: `What now with ${label}?`, options: [{ value: "again", label: "enter the credentials again" }, { value: "keep", label: "keep them anyway" }] }));
    if (next === "keep") return cfg;
    for (const key of missingCredentials(id, {})) await ask(key);
  }
}
