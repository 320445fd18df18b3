// The configs people arrive with: PicoClaw's example config in every shape
// since February (v3 channel_list and .security.yml included) and OpenClaw's
// documented examples, reproduced under test/fixtures/peers (sources.json
// says where each shape comes from). Each must load with warnings only, and
// `migrate --from` must carry every channel, model, key and proxy across.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig, parseConfigObject, parseConfigText } from "../../src/config/load.ts";
import { importOpenclaw, importPicoclaw } from "../../src/config/migrate.ts";
import { agentModelSelection } from "../../src/config/models.ts";
import { readSecurityFile } from "../../src/config/security.ts";

type Obj = Record<string, any>;
const root = join(import.meta.dirname, "../fixtures/peers");
const index = JSON.parse(readFileSync(join(root, "sources.json"), "utf8")) as { fixtures: Record<string, unknown> };
const configs = Object.keys(index.fixtures).filter((f) => !f.endsWith(".yml"));
const picoclaw = configs.filter((f) => f.startsWith("picoclaw/"));
const openclaw = configs.filter((f) => f.startsWith("openclaw/"));
const raw = (f: string): Obj => parseConfigObject(readFileSync(join(root, f), "utf8"), f).raw;

function reload(result: Obj, env: NodeJS.ProcessEnv = {}) {
  return parseConfigText(JSON.stringify(result), { env, file: "(migrated)" });
}

describe("every peer fixture loads with warnings only", () => {
  it("covers both peers", () => {
    expect(picoclaw.length).toBeGreaterThanOrEqual(8);
    expect(openclaw.length).toBeGreaterThanOrEqual(17);
  });

  for (const f of configs) {
    it(f, () => {
      const loaded = loadConfig({ path: join(root, f), env: {}, required: true });
      expect(loaded.exists).toBe(true);
      // documentation keys and the format marker vanish silently
      expect(loaded.warnings.filter((w) => /_comment|\$schema|unknown key version\b/.test(w))).toEqual([]);
      for (const w of loaded.warnings) expect(w).not.toMatch(/fx-[a-z-]+-[0-9a-f]{6,}/); // secrets never quoted
    });
  }
});

describe("loading what the peers write", () => {
  it("reads PicoClaw v3 channel_list as channels, settings flattened", () => {
    const { config, warnings } = loadConfig({ path: join(root, "picoclaw/2026-06-07-v3-channel-list.json"), env: {} });
    expect(config.channels.telegram).toMatchObject({ enabled: true, token: "fx-telegram-token-7001", allow_from: ["100200300", "@fixture_owner"] });
    expect(config.channels.discord).toMatchObject({ enabled: true, token: "fx-discord-token-7002", allow_from: ["400500600700800900"] });
    expect(config.agents.defaults.model_name).toBe("gpt-5.4");
    expect(warnings).toContainEqual(expect.stringMatching(/^tools\.web\.provider "auto" is not supported and is ignored/));
    expect(warnings).toContainEqual("unknown key channels.telegram.base_url is ignored; did you mean channels.telegram.api_base?");
  });

  it("lays .security.yml over the config beside it", () => {
    const { config, warnings } = loadConfig({ path: join(root, "picoclaw/v3-security/config.json"), env: {} });
    expect(config.model_list.find((e) => e.model_name === "gpt-5.4")!.api_keys).toEqual(["fx-sec-openai-1", "fx-sec-openai-2"]);
    expect(config.model_list.find((e) => e.model_name === "claude-sonnet-4.6")!.api_keys).toEqual(["fx-sec-anthropic-1"]);
    expect(config.channels.telegram).toMatchObject({ enabled: true, token: "fx-sec-telegram-token", allow_from: ["100200300"] });
    expect(config.channels.discord.token).toBe("fx-sec-discord-token");
    expect(warnings).toEqual([]);
  });

  it("honours OpenClaw's top-level agent.model and agent.workspace", () => {
    const { config } = loadConfig({ path: join(root, "openclaw/starter.json5"), env: {} });
    expect(config.agents.defaults.model).toEqual({ primary: "anthropic/claude-sonnet-4-5" });
    expect(config.agents.defaults.workspace).toBe("~/.openclaw/ws-starter");
    expect(agentModelSelection(config, { ANTHROPIC_API_KEY: "k" }).primary).toBe("anthropic/claude-sonnet-4-5");
  });

  it("takes env.vars into the environment and warns about env.shellEnv", () => {
    const env: NodeJS.ProcessEnv = {};
    const { warnings } = loadConfig({ path: join(root, "openclaw/expanded.json5"), env });
    expect(env.GROQ_API_KEY).toBe("fx-groq-1002");
    expect(env.OPENROUTER_API_KEY).toBe("fx-or-1001");
    expect(warnings).toContainEqual(expect.stringMatching(/^env\.shellEnv: .*not supported/));
  });

  it("suggests the nearest known key for a peer spelling or a typo", () => {
    const { warnings } = parseConfigText(
      JSON.stringify({ channels: { whatsapp: { allowFrom: ["+1"] } }, session: { dmScope: "main" }, agents: { defaults: { modle_name: "x" } }, heartbat: {} }),
      { env: {} },
    );
    expect(warnings).toEqual(
      expect.arrayContaining([
        "unknown key channels.whatsapp.allowFrom is ignored; did you mean channels.whatsapp.allow_from?",
        "unknown key session.dmScope is ignored; did you mean session.dm_scope?",
        "unknown key agents.defaults.modle_name is ignored; did you mean agents.defaults.model_name?",
        "unknown key heartbat is ignored; did you mean heartbeat?",
      ]),
    );
    const far = parseConfigText(JSON.stringify({ identity: { name: "x" } }), { env: {} }).warnings;
    expect(far).toEqual(["unknown key identity is ignored (Switchboard has no such setting; see the configuration reference)"]);
  });

  it("ignores _comment of any type at any depth, and $schema, without a word", () => {
    const { config, warnings } = parseConfigText(
      JSON.stringify({
        $schema: "https://example.invalid/schema.json",
        _comment: ["a", "list"],
        model_list: [{ _comment: { nested: true }, model_name: "m", model: "openai/m", api_key: "k" }],
        channels: { telegram: { _comment: 5, enabled: false } },
        providers: { _comment: "DEPRECATED" },
      }),
      { env: {} },
    );
    expect(warnings).toEqual([]);
    expect(config.model_list[0]!.model_name).toBe("m");
  });

  it("leaves _comment and $schema inside a request payload alone", () => {
    const body = { response_format: { type: "json_schema", json_schema: { schema: { $schema: "https://json-schema.org/draft/2020-12/schema", _comment: "sent as is" } } } };
    const { config } = parseConfigText(JSON.stringify({ model_list: [{ model_name: "m", model: "openai/m", api_key: "k", extra_body: body }] }), { env: {} });
    expect(config.model_list[0]!.extra_body).toEqual(body);
  });
});

/** Channels as the source states them, for the channels Switchboard has. */
function picoChannels(source: Obj): Record<string, { enabled?: boolean; token?: string; allow_from?: string[] }> {
  const out: Record<string, Obj> = {};
  for (const [id, ch] of Object.entries<Obj>(source.channels ?? {})) out[id] = ch;
  for (const [name, e] of Object.entries<Obj>(source.channel_list ?? {})) out[e.type ?? name] = { ...e.settings, ...e };
  for (const id of Object.keys(out)) if (!["telegram", "discord", "whatsapp", "feishu", "qq"].includes(id)) delete out[id];
  return out;
}

describe("migrate --from picoclaw keeps every channel, model, key and proxy", () => {
  for (const f of picoclaw) {
    it(f, () => {
      const source = raw(f);
      const security = readSecurityFile(join(root, f))?.data as Obj | undefined;
      const result = importPicoclaw(source, security);
      const { config, warnings } = reload(result.raw);
      // nothing it wrote is unknown, and what it left out is listed with a reason
      expect(warnings.filter((w) => w.startsWith("unknown key"))).toEqual([]);
      for (const d of result.dropped) expect(d).toMatch(/: \S/);

      const withSecrets = structuredClone(source);
      if (security) {
        withSecrets.channel_list.telegram.settings = { ...withSecrets.channel_list.telegram.settings, token: "fx-sec-telegram-token" };
      }
      for (const [id, ch] of Object.entries(picoChannels(withSecrets))) {
        const got = config.channels[id as "telegram"];
        expect(got.enabled, `${id}.enabled`).toBe(ch.enabled ?? false);
        if (typeof ch.token === "string") expect(got.token, `${id}.token`).toBe(ch.token);
        expect(got.allow_from, `${id}.allow_from`).toEqual((ch.allow_from ?? []).filter((x: string) => x !== ""));
      }
      // every model_list entry with its keys, base and proxy; the default model
      const entries: Obj[] = source.model_list ?? [];
      for (const e of entries) {
        const model = e.provider ? `${e.provider}/${e.model}` : e.model;
        const got = config.model_list.find((m) => m.model_name === e.model_name && m.model === model && (m.api_base ?? "") === (e.api_base ?? ""))!;
        expect(got, `model_list ${e.model_name}`).toBeDefined();
        const keys = security?.model_list?.[e.model_name]?.api_keys ?? e.api_keys;
        if (keys) expect(got.api_keys).toEqual(keys);
        else if (e.api_key) expect(got.api_key).toBe(e.api_key);
        if (e.proxy) expect(got.proxy).toBe(e.proxy);
      }
      const d = source.agents?.defaults ?? {};
      const primary = d.model_name ?? d.model;
      if (primary) expect(config.agents.defaults.model_name ?? config.agents.defaults.model).toBe(primary);
      if (d.model_fallbacks) expect(config.agents.defaults.fallbacks).toEqual(d.model_fallbacks);
      for (const [id, p] of Object.entries<Obj>(source.providers ?? {})) {
        if (id === "_comment" || !p || typeof p !== "object") continue;
        if (p.api_key) expect(config.providers[id]?.api_key, `providers.${id}.api_key`).toBe(p.api_key);
        if (p.proxy) expect(config.providers[id]?.proxy, `providers.${id}.proxy`).toBe(p.proxy);
      }
    });
  }

  it("gives { provider, model } entries their vendor, so each key goes where it was written for", () => {
    const { config, warnings } = loadConfig({ path: join(root, "picoclaw/docs-providers-fallback.json"), env: {} });
    expect(config.model_list.map((e) => e.model)).toEqual(["openai/qwen3-max", "deepseek/deepseek-chat", "gemini/gemini-2.5-flash"]);
    expect(config.agents.defaults.model_fallbacks).toEqual(["backup-one", "backup-two"]);
    expect(warnings.filter((w) => w.startsWith("unknown key"))).toEqual([]);
    const migrated = reload(importPicoclaw(raw("picoclaw/docs-providers-fallback.json")).raw).config;
    expect([migrated.agents.defaults.model_name, migrated.agents.defaults.fallbacks]).toEqual(["main-chat", ["backup-one", "backup-two"]]);
  });

  it("says that an empty allow_from now means pairing, not everyone", () => {
    const { changes } = importPicoclaw({ channels: { telegram: { enabled: true, token: "t", allow_from: [] } } });
    expect(changes).toContainEqual(expect.stringMatching(/^channels\.telegram: allow_from is empty.*pairing code/));
  });

  it("renames PicoClaw's telegram base_url, discord mention_only and feishu is_lark", () => {
    const { raw: out } = importPicoclaw({
      channels: {
        telegram: { enabled: true, token: "t", base_url: "https://tg.example.com" },
        discord: { enabled: true, token: "d", mention_only: true },
        feishu: { enabled: false, is_lark: true },
      },
    });
    expect(out.channels).toMatchObject({
      telegram: { api_base: "https://tg.example.com" },
      discord: { group_trigger: { mention_only: true } },
      feishu: { domain: "lark" },
    });
    expect(reload(out).warnings).toEqual([]);
  });
});

describe("migrate --from openclaw keeps every channel, model and allow-list", () => {
  for (const f of openclaw) {
    it(`${f} migrates to a file without unknown keys`, () => {
      const result = importOpenclaw(raw(f));
      const { warnings } = reload(result.raw, { MINIMAX_API_KEY: "k" });
      expect(warnings.filter((w) => w.startsWith("unknown key"))).toEqual([]);
      for (const d of result.dropped) expect(d).toMatch(/: \S/);
    });
  }

  it("multi-platform: telegram comes up with its token and allow-list, discord with dm.allowFrom", () => {
    const { config, warnings } = reload(importOpenclaw(raw("openclaw/multi-platform.json5")).raw);
    expect(config.channels.telegram).toMatchObject({ enabled: true, token: "fx-oc-telegram-3003", allow_from: ["300400500"] });
    expect(config.channels.discord).toMatchObject({ enabled: true, token: "fx-oc-discord-3004", allow_from: ["311122233344455566"] });
    expect(config.channels.whatsapp).toMatchObject({ enabled: true, use_native: true, allow_from: ["+4915100000003"] });
    expect(warnings.filter((w) => /enabled but has no/.test(w))).toEqual([]);
    expect(config.agents.defaults.workspace).toBe("~/.switchboard/ws-multi");
  });

  it("secure DM: dmScope, dmPolicy allowlist and both DM allow-lists", () => {
    const { config } = reload(importOpenclaw(raw("openclaw/secure-dm.json5")).raw);
    expect(config.session.dm_scope).toBe("per-channel-peer");
    expect(config.channels.whatsapp.allow_from).toEqual(["+4915100000004", "+4915100000005"]);
    expect(config.channels.discord.allow_from).toEqual(["411122233344455566", "422233344455566677"]);
  });

  it("expanded: models, fallbacks, aliases, env, group rules, gateway; drops the rest with reasons", () => {
    const result = importOpenclaw(raw("openclaw/expanded.json5"));
    const { config } = reload(result.raw);
    expect(config.agents.defaults.model_name).toBe("anthropic/claude-sonnet-4-5");
    expect(config.agents.defaults.fallbacks).toEqual(["anthropic/claude-opus-4-6", "openai/gpt-5.2"]);
    expect(config.agents.defaults.models).toMatchObject({ "anthropic/claude-opus-4-6": { alias: "big" } });
    expect(config.env).toMatchObject({ OPENROUTER_API_KEY: "fx-or-1001", GROQ_API_KEY: "fx-groq-1002" });
    expect(config.channels.telegram).toMatchObject({ enabled: true, token: "fx-oc-telegram-1010", allow_from: ["101010101"], group_trigger: { mention_only: true } });
    expect(config.channels.discord).toMatchObject({ token: "fx-oc-discord-1011", allow_from: ["510000000000000011"], group_trigger: { mention_only: false } });
    expect(config.heartbeat).toMatchObject({ enabled: true, interval: 45 });
    expect(config.gateway).toMatchObject({ port: 18789, host: "127.0.0.1", token: "fx-gateway-token" });
    expect(config.model_list).toContainEqual(expect.objectContaining({ model_name: "fixture-proxy/qwen3-8b", model: "openai/qwen3-8b", api_base: "http://localhost:4000/v1", api_key: "FIXTURE_PROXY_KEY", custom_headers: { "X-Fixture-Zone": "eu-central" } }));
    const dropped = result.dropped.join("\n");
    for (const key of ["auth", "identity", "hooks", "skills", "cron", "channels.slack", "env.shellEnv", "tools.allow", "agents.defaults.sandbox", "channels.telegram.groupPolicy"]) {
      expect(dropped).toContain(key);
    }
  });

  it("agent.model in object form with fallbacks, and env.vars keys for the provider", () => {
    const oauth = reload(importOpenclaw(raw("openclaw/oauth-failover.json5")).raw).config;
    expect([oauth.agents.defaults.model_name, oauth.agents.defaults.fallbacks]).toEqual(["anthropic/claude-sonnet-4-5", ["anthropic/claude-opus-4-6"]]);
    const cerebras = reload(importOpenclaw(raw("openclaw/provider-cerebras.json5")).raw).config;
    expect(cerebras.agents.defaults.model_name).toBe("cerebras/zai-glm-4.7");
    expect(cerebras.agents.defaults.fallbacks).toEqual(["cerebras/gpt-oss-120b"]);
    expect(cerebras.env.CEREBRAS_API_KEY).toBe("fx-cerebras-2001");
    expect(cerebras.model_list.map((e) => e.model_name)).toEqual(["cerebras/zai-glm-4.7", "cerebras/gpt-oss-120b"]);
  });

  it("multi-account channels use the first account; feishu's camelCase keys; a second account is listed as dropped", () => {
    const result = importOpenclaw({
      channels: {
        telegram: { accounts: { personal: { botToken: "t1", allowFrom: ["11"] }, work: { botToken: "t2" } } },
        feishu: { enabled: true, appId: "cli_a1b2c3d4e5f60718", appSecret: "s", domain: "lark", allowFrom: ["ou_1"] },
      },
    });
    const { config, warnings } = reload(result.raw);
    expect(config.channels.telegram).toMatchObject({ enabled: true, token: "t1", allow_from: ["11"] });
    expect(config.channels.feishu).toMatchObject({ enabled: true, app_id: "cli_a1b2c3d4e5f60718", app_secret: "s", domain: "lark", allow_from: ["ou_1"] });
    expect(result.dropped).toContainEqual(expect.stringMatching(/^channels\.telegram\.accounts\.work: one account per channel/));
    expect(warnings).toEqual([]);
  });

  it("a string agents.defaults.model and dmPolicy open", () => {
    const { config } = reload(
      importOpenclaw({ agents: { defaults: { model: "openai/gpt-5.2" } }, channels: { telegram: { botToken: "t", dmPolicy: "open" } } }).raw,
    );
    expect(config.agents.defaults.model_name).toBe("openai/gpt-5.2");
    expect(config.channels.telegram).toMatchObject({ enabled: true, token: "t", allow_from: ["*"] });
  });
});
