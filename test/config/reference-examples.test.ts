// Every JSON config example in the reference documents loads and means what
// the text around it says. Fragments that show one model_list entry are
// loaded as the only entry of a model_list.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import JSON5 from "json5";
import { describe, expect, it } from "vitest";
import { agentModelSelection, buildModelDirectory } from "../../src/config/directory.ts";
import { parseConfigText, repairText } from "../../src/config/reader.ts";

const dir = join(import.meta.dirname, "../fixtures/reference");
const files = readdirSync(dir).filter((f) => f.endsWith(".json5")).sort();
const ENV = {}; // a clean environment: no keys leak in from the machine

function load(name: string, env: NodeJS.ProcessEnv = { ...ENV }) {
  let text = readFileSync(join(dir, name), "utf8");
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON5.parse(text);
  } catch {
    parsed = JSON5.parse(repairText(text).text);
  }
  if ("model_name" in parsed && "model" in parsed && !("model_list" in parsed)) text = `{ "model_list": [ ${text} ] }`;
  const loaded = parseConfigText(text, { env, file: name });
  return { ...loaded, directory: buildModelDirectory(loaded.config, env), selection: agentModelSelection(loaded.config, env) };
}

describe("reference config examples", () => {
  it("finds every example", () => {
    expect(files.length).toBeGreaterThanOrEqual(40);
  });

  for (const f of files) {
    it(`${f} loads without errors or unknown keys`, () => {
      const { warnings } = load(f);
      expect(warnings.filter((w) => w.startsWith("unknown key"))).toEqual([]);
    });
  }

  it("000-01: a custom endpoint with a 300 s timeout, prefix stripped", () => {
    const { directory, selection } = load("000-01.json5");
    expect(selection.primary).toBe("my-custom-model");
    const [e] = directory.lookup("my-custom-model");
    expect(e).toMatchObject({ apiBase: "https://my-api.example.com/v1", modelId: "custom-model", requestTimeoutMs: 300_000, apiKeys: ["your-api-key"] });
  });

  it("000-06: providers.openai.proxy applies to the openai entry", () => {
    const [e] = load("000-06.json5").directory.lookup("proxied-model");
    expect(e!.proxy).toBe("http://proxy.example.com:8080");
  });

  it("000-08: an Azure resource host speaks the Azure protocol", () => {
    const [e] = load("000-08.json5").directory.lookup("azure-gpt4");
    expect(e).toMatchObject({ protocol: "azure", modelId: "gpt-4" });
  });

  it("000-09: an unknown prefix is part of the model id", () => {
    const [e] = load("000-09.json5").directory.lookup("slow-model");
    expect(e).toMatchObject({ vendor: "", modelId: "custom/model", protocol: "openai", requestTimeoutMs: 600_000 });
  });

  it("001-06: the Z.AI example with a missing comma loads with a warning", () => {
    const { warnings, directory } = load("001-06.json5");
    expect(warnings.some((w) => /missing comma/.test(w))).toBe(true);
    expect(directory.lookup("glm-4.7")[0]).toMatchObject({ apiBase: "https://api.z.ai/api/coding/paas/v4", modelId: "glm-4.7" });
  });

  it("001-09: anthropic-messages speaks the native protocol", () => {
    const [e] = load("001-09.json5").directory.lookup("claude-opus-4-6");
    expect(e).toMatchObject({ protocol: "anthropic", modelId: "claude-opus-4-6", apiBase: "https://api.anthropic.com" });
  });

  it("001-12: litellm/lite-gpt4 sends lite-gpt4", () => {
    expect(load("001-12.json5").directory.lookup("lite-gpt4")[0]!.modelId).toBe("lite-gpt4");
  });

  it("001-16: the old provider form still routes to Zhipu, with a migrate hint", () => {
    const { directory, selection, warnings } = load("001-16.json5");
    expect(selection.primary).toBe("glm-4.7");
    expect(directory.lookup("glm-4.7")[0]).toMatchObject({ vendor: "zhipu", modelId: "glm-4.7", apiBase: "https://open.bigmodel.cn/api/paas/v4", apiKeys: ["your-key"] });
    expect(warnings.some((w) => /switchboard migrate/.test(w))).toBe(true);
  });

  it("001-18: a bare model name with providers.zhipu routes to Zhipu", () => {
    const { directory, selection, config } = load("001-18.json5");
    expect(selection.primary).toBe("glm-4.7");
    expect(directory.lookup("glm-4.7")[0]).toMatchObject({ vendor: "zhipu", apiKeys: ["Your API Key"] });
    expect(config.agents.defaults).toMatchObject({ max_tokens: 8192, temperature: 0.7, max_tool_iterations: 20 });
  });

  it("001-19: the full example routes anthropic/claude-opus-4-5 through OpenRouter", () => {
    const { directory, selection, config, warnings } = load("001-19.json5");
    expect(selection.primary).toBe("anthropic/claude-opus-4-5");
    expect(directory.lookup("anthropic/claude-opus-4-5")[0]).toMatchObject({
      apiBase: "https://openrouter.ai/api/v1",
      modelId: "anthropic/claude-opus-4-5",
      apiKeys: ["sk-or-v1-xxx"],
    });
    expect(config.channels.telegram).toMatchObject({ enabled: true, token: "123456:ABC...", allow_from: ["123456789"] });
    expect(config.channels.discord.allow_from).toEqual([]);
    expect(warnings.some((w) => /channels\.discord\.allow_from has an empty entry/.test(w))).toBe(true);
    expect(config.tools.web.duckduckgo).toMatchObject({ enabled: true, max_results: 5 });
    expect(config.tools.cron.exec_timeout_minutes).toBe(5);
    expect(config.heartbeat).toMatchObject({ enabled: true, interval: 30 });
    expect(config.session.dm_scope).toBe("per-channel-peer");
  });

  it("002-01: three entries of one model_name form a round-robin group", () => {
    const group = load("002-01.json5").directory.lookup("gpt-4");
    expect(group.map((e) => e.id)).toEqual(["gpt-4#0", "gpt-4#1", "gpt-4#2"]);
    expect(group.map((e) => e.apiKeys[0])).toEqual(["sk-key1", "sk-key2", "sk-key3"]);
  });

  it("002-05: the production example keeps its fallback chain without the primary", () => {
    const { selection } = load("002-05.json5");
    expect(selection.primary).toBe("production");
    expect(selection.fallbacks).toEqual(["deepseek/deepseek-chat"]);
  });

  it("003-01: OpenClaw's litellm provider: env block, /v1 appended, alias", () => {
    const env: NodeJS.ProcessEnv = {};
    const { directory, selection } = load("003-01.json5", env);
    expect(selection.primary).toBe("litellm/gpt-4");
    const [e] = directory.lookup("litellm/gpt-4");
    expect(e).toMatchObject({ apiBase: "http://localhost:4000/v1", modelId: "gpt-4", apiKeys: ["sk-..."], contextWindow: 128000, maxTokens: 8192 });
    expect(directory.lookup("GPT-4")[0]!.modelId).toBe("gpt-4");
    expect(env.LITELLM_API_KEY).toBe("sk-...");
  });

  it("003-02: every model of the provider is a reference, and ${LITELLM_API_KEY} comes from the environment", () => {
    const { directory, warnings } = load("003-02.json5", { LITELLM_API_KEY: "sk-env" });
    expect(directory.lookup("litellm/claude-3-opus")[0]).toMatchObject({ modelId: "claude-3-opus", apiKeys: ["sk-env"], contextWindow: 200000 });
    expect(warnings).toEqual([]);
  });

  it("004-02: numeric separators load; the image model resolves through the litellm provider", () => {
    const { config, directory } = load("004-02.json5", { LITELLM_API_KEY: "sk-img" });
    expect(config.agents.defaults.imageGenerationModel).toEqual({ primary: "litellm/gpt-image-2", timeoutMs: 180000 });
    expect(directory.lookup("litellm/gpt-image-2")[0]).toMatchObject({ apiBase: "http://localhost:4000/v1", modelId: "gpt-image-2", apiKeys: ["sk-img"] });
  });
});
