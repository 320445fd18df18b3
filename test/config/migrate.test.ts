import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseConfigObject, parseConfigText } from "../../src/config/load.ts";
import { importOpenclaw, importPicoclaw, migrateConfig, writeConfigFile } from "../../src/config/migrate.ts";
import { agentModelSelection, buildModelDirectory } from "../../src/config/models.ts";

const fixtures = join(import.meta.dirname, "../fixtures/reference");
const fixture = (name: string) => parseConfigObject(readFileSync(join(fixtures, name), "utf8")).raw;

function loadObj(raw: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) {
  const { config, warnings } = parseConfigText(JSON.stringify(raw), { env });
  return { config, warnings, directory: buildModelDirectory(config, env), selection: agentModelSelection(config, env) };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "sb-migrate-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("migrateConfig", () => {
  it("rewrites doc 001's old providers form into its new form, meaning the same", () => {
    const old = fixture("001-legacy-providers.json");
    const before = structuredClone(old);
    const { raw, changes } = migrateConfig(old);
    expect(old).toEqual(before); // the input is not changed
    expect(raw.model_list).toEqual([{ model_name: "glm-4.7", model: "zhipu/glm-4.7", api_key: "your-key", api_base: "https://open.bigmodel.cn/api/paas/v4" }]);
    expect(raw.agents).toEqual({ defaults: { model_name: "glm-4.7" } });
    expect(changes).toEqual(expect.arrayContaining([expect.stringMatching(/became model_list entry "glm-4.7"/), "agents.defaults.provider removed"]));

    const migrated = loadObj(raw);
    const legacy = loadObj(old);
    expect(migrated.warnings).toEqual([]);
    expect(legacy.warnings).toContainEqual(expect.stringMatching(/switchboard migrate/));
    const view = (e: { vendor: string; modelId: string; apiBase: string; apiKeys: string[] }) => [e.vendor, e.modelId, e.apiBase, e.apiKeys];
    expect(view(migrated.directory.lookup("glm-4.7")[0]!)).toEqual(view(legacy.directory.lookup("glm-4.7")[0]!));
    expect(migrated.directory.lookup("glm-4.7")[0]!.source).toBe("model_list");
  });

  it("turns a bare model name served by a providers block into a model_list entry", () => {
    const { raw, changes } = migrateConfig(fixture("001-zhipu-configure.json"));
    expect(raw.model_list).toEqual([{ model_name: "glm-4.7", model: "zhipu/glm-4.7", api_key: "Your API Key", api_base: "https://open.bigmodel.cn/api/paas/v4" }]);
    expect(changes).toHaveLength(1);
    expect(loadObj(raw).directory.lookup("glm-4.7")[0]!.source).toBe("model_list");
  });

  it("renames model_fallbacks; a string model stays", () => {
    expect(migrateConfig({ agents: { defaults: { model: "a", model_fallbacks: ["b"] } } }).raw).toEqual({ agents: { defaults: { model: "a", fallbacks: ["b"] } } });
    const both = migrateConfig({ agents: { defaults: { model_name: "a", fallbacks: ["c"], model_fallbacks: ["b"] } } });
    expect(both.raw).toEqual({ agents: { defaults: { model_name: "a", fallbacks: ["c"] } } });
    expect(both.changes).toEqual(["agents.defaults.model_fallbacks removed (fallbacks is set)"]);
  });

  it("leaves current configs alone and is idempotent", () => {
    for (const name of ["001-fallback-chain.json", "001-full-example.json", "002-primary-backup.json"]) {
      const raw = fixture(name);
      expect(migrateConfig(raw), name).toEqual({ raw, changes: [], dropped: [] });
    }
    const once = migrateConfig(fixture("001-legacy-providers.json")).raw;
    expect(migrateConfig(once).changes).toEqual([]);
  });
});

describe("importPicoclaw", () => {
  it("copies the dialect, moves ~/.picoclaw paths to ~/.switchboard and migrates old forms", () => {
    const { raw, changes } = importPicoclaw({
      ...fixture("001-zhipu-configure.json"),
      channels: { whatsapp: { enabled: true, session_store_path: "~/.picoclaw/whatsapp" }, telegram: { enabled: true, token: "t", allow_from: ["1"] } },
    });
    expect(raw).toMatchObject({
      agents: { defaults: { workspace: "~/.switchboard/workspace", model_name: "glm-4.7", max_tokens: 8192 } },
      channels: { whatsapp: { session_store_path: "~/.switchboard/whatsapp" }, telegram: { token: "t", allow_from: ["1"] } },
      model_list: [{ model_name: "glm-4.7", model: "zhipu/glm-4.7" }],
    });
    expect(changes[0]).toBe("imported a PicoClaw config");
    expect(loadObj(raw).warnings).toEqual([]);
  });

  it("imports doc 001's full example unchanged in meaning", () => {
    const { raw } = importPicoclaw(fixture("001-full-example.json"));
    expect(raw).toEqual(fixture("001-full-example.json"));
  });
});

describe("importOpenclaw", () => {
  it("turns doc 003's litellm provider into model_list entries that route the same way", () => {
    const source = fixture("003-litellm-config.json5");
    const { raw, changes } = importOpenclaw(source);
    expect(raw).toEqual({
      env: { LITELLM_API_KEY: "sk-..." },
      model_list: [{ model_name: "litellm/gpt-4", model: "openai/gpt-4", api_base: "http://localhost:4000/v1", api_key: "${LITELLM_API_KEY}", context_window: 128000, max_tokens: 8192 }],
      agents: { defaults: { model_name: "litellm/gpt-4", models: { "litellm/gpt-4": { alias: "GPT-4" } } } },
    });
    expect(changes).toContainEqual('agents.defaults.model became model_name "litellm/gpt-4"');

    const after = loadObj(raw);
    const before = loadObj(source);
    expect(after.selection.primary).toBe(before.selection.primary);
    for (const ref of ["litellm/gpt-4", "GPT-4"]) {
      const [a] = after.directory.lookup(ref);
      const [b] = before.directory.lookup(ref);
      expect([a!.apiBase, a!.modelId, a!.apiKeys, a!.contextWindow, a!.maxTokens]).toEqual([b!.apiBase, b!.modelId, b!.apiKeys, b!.contextWindow, b!.maxTokens]);
    }
  });

  it("keeps a provider without models as credentials, so doc 004's image model still resolves", () => {
    const { raw } = importOpenclaw(fixture("004-image-generation.json5"));
    expect(raw).toEqual({
      providers: { litellm: { api_base: "http://localhost:4000/v1", api_key: "${LITELLM_API_KEY}" } },
      agents: { defaults: { imageGenerationModel: { primary: "litellm/gpt-image-2", timeoutMs: 180000 } } },
    });
    const [e] = loadObj(raw, { LITELLM_API_KEY: "sk-img" }).directory.lookup("litellm/gpt-image-2");
    expect(e).toMatchObject({ apiBase: "http://localhost:4000/v1", modelId: "gpt-image-2", apiKeys: ["sk-img"] });
  });

  it("maps anthropic-messages, vendor default bases, fallbacks, workspace and shared sections", () => {
    const { raw, changes } = importOpenclaw({
      models: {
        providers: {
          claude: { baseUrl: "https://gw.example.com", apiKey: "k1", api: "anthropic-messages", models: [{ id: "claude-opus-4-6" }] },
          deepseek: { apiKey: "k2", models: [{ id: "deepseek-chat" }] },
        },
      },
      agents: { defaults: { model: { primary: "claude/claude-opus-4-6", fallbacks: ["deepseek/deepseek-chat"] }, workspace: "~/.openclaw/workspace" } },
      channels: { telegram: { enabled: true, token: "t" } },
    });
    expect(raw.model_list).toEqual([
      { model_name: "claude/claude-opus-4-6", model: "anthropic-messages/claude-opus-4-6", api_base: "https://gw.example.com", api_key: "k1" },
      { model_name: "deepseek/deepseek-chat", model: "openai/deepseek-chat", api_base: "https://api.deepseek.com/v1", api_key: "k2" },
    ]);
    expect(raw.agents).toEqual({ defaults: { model_name: "claude/claude-opus-4-6", fallbacks: ["deepseek/deepseek-chat"], workspace: "~/.switchboard/workspace" } });
    expect(changes).toContainEqual(expect.stringMatching(/^channels\.telegram: credentials, 0 allowed sender/));
    const { directory, selection } = loadObj(raw);
    expect(directory.lookup(selection.primary!)[0]).toMatchObject({ protocol: "anthropic", apiBase: "https://gw.example.com", modelId: "claude-opus-4-6" });
    expect(directory.lookup("deepseek/deepseek-chat")[0]).toMatchObject({ apiBase: "https://api.deepseek.com/v1", modelId: "deepseek-chat" });
  });
});

describe("writeConfigFile", () => {
  it("backs up the old file first, then replaces it atomically, keeping the file's mode", () => {
    const file = join(dir, "config.json");
    writeFileSync(file, '{"old": true} // with a comment', { mode: 0o644 });
    const backup = writeConfigFile(file, { new: true }, new Date("2025-01-02T03:04:05.678Z"));
    expect(backup).toBe(`${file}.bak-2025-01-02T03-04-05-678Z`);
    expect(readFileSync(backup!, "utf8")).toBe('{"old": true} // with a comment');
    expect(statSync(backup!).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ new: true });
    expect(statSync(file).mode & 0o777).toBe(0o644);
    const fresh = join(dir, "fresh.json");
    writeConfigFile(fresh, { new: true });
    expect(statSync(fresh).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir).filter((f) => f.includes(".tmp-"))).toEqual([]);
  });

  it("never overwrites an earlier backup, and makes none for a new file", () => {
    const file = join(dir, "nested", "config.json");
    const at = new Date("2025-01-02T03:04:05.678Z");
    expect(writeConfigFile(file, { n: 1 }, at)).toBeUndefined();
    expect(statSync(join(dir, "nested")).mode & 0o777).toBe(0o700);
    const b1 = writeConfigFile(file, { n: 2 }, at);
    const b2 = writeConfigFile(file, { n: 3 }, at);
    expect(b1).not.toBe(b2);
    expect([JSON.parse(readFileSync(b1!, "utf8")), JSON.parse(readFileSync(b2!, "utf8"))]).toEqual([{ n: 1 }, { n: 2 }]);
    expect(existsSync(file)).toBe(true);
  });
});
