// Every JSON config example in the reference documents is a fixture under
// test/fixtures/reference/<doc>-<name>.json(5), copied verbatim. Each loads
// and means what the text around it says. Fragments that show one model_list
// entry are loaded as the only entry of a model_list.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfigObject, parseConfigText } from "../../src/config/load.ts";
import { agentModelSelection, buildModelDirectory, describeEntry } from "../../src/config/models.ts";

const dir = join(import.meta.dirname, "../fixtures/reference");
const files = readdirSync(dir).filter((f) => /\.json5?$/.test(f)).sort();
const REFERENCE_DIR = "/work/shared/reference";

function load(name: string, env: NodeJS.ProcessEnv = {}) {
  let text = readFileSync(join(dir, name), "utf8");
  const { raw } = parseConfigObject(text, name);
  if ("model_name" in raw && "model" in raw && !("model_list" in raw)) text = `{ "model_list": [ ${text} ] }`; // same lines, so warnings name the file's own line numbers
  const loaded = parseConfigText(text, { env, file: name });
  const directory = buildModelDirectory(loaded.config, env);
  return { ...loaded, directory, selection: agentModelSelection(loaded.config, env), one: (ref: string) => directory.lookup(ref)[0]! };
}

describe("the reference fixtures", () => {
  it("hold every example of the five documents", () => {
    const perDoc = (d: string) => files.filter((f) => f.startsWith(`${d}-`)).length;
    expect([perDoc("000"), perDoc("001"), perDoc("002"), perDoc("003"), perDoc("004")]).toEqual([12, 19, 8, 2, 2]);
  });

  it.skipIf(!existsSync(REFERENCE_DIR))("are verbatim copies of the documents' text", () => {
    const docs = readdirSync(REFERENCE_DIR).map((f) => readFileSync(join(REFERENCE_DIR, f), "utf8"));
    for (const f of files) {
      const text = readFileSync(join(dir, f), "utf8").trim();
      const doc = docs.find((d, i) => readdirSync(REFERENCE_DIR)[i]!.startsWith(f.slice(0, 3)))!;
      // doc 004 is a scraped web page: its code lines are separated by "|" lines
      const clean = doc.replace(/\n\|\n\|\n/g, "\n").replace(/\n\|\n/g, "\n");
      expect(clean.includes(text), `${f} is not verbatim`).toBe(true);
    }
  });

  for (const f of files) {
    it(`${f} loads without errors or unknown keys`, () => {
      const { warnings, directory, selection } = load(f);
      expect(warnings.filter((w) => /unknown key/.test(w))).toEqual([]);
      if (selection.primary && !f.includes("primary-backup")) expect(directory.all().length).toBeGreaterThan(0);
    });
  }
});

describe("doc 000: custom endpoints", () => {
  it("custom-endpoint: any prefix, the given base, a 300 s timeout, the primary", () => {
    const { one, selection } = load("000-custom-endpoint.json");
    expect(selection.primary).toBe("my-custom-model");
    expect(one("my-custom-model")).toMatchObject({ apiBase: "https://my-api.example.com/v1", modelId: "custom-model", requestTimeoutMs: 300_000, apiKeys: ["your-api-key"], protocol: "openai" });
  });

  it("litellm-proxy: litellm/ is stripped, so litellm/gpt-4 sends gpt-4 to the proxy", () => {
    const { one, selection, directory } = load("000-litellm-proxy.json");
    expect(one("gpt4")).toMatchObject({ vendor: "litellm", modelId: "gpt-4", apiBase: "http://localhost:4000/v1", apiKeys: ["sk-1234"] });
    expect(one("claude").modelId).toBe("claude");
    expect(directory.all()).toHaveLength(2);
    expect(selection.primary).toBe("gpt4"); // no agent model named: the first entry
  });

  it("litellm-load-balancing: one Switchboard entry, the proxy balances behind it", () => {
    const { directory } = load("000-litellm-load-balancing.json");
    expect(directory.lookup("gpt4")).toHaveLength(1);
  });

  it("vllm: the self-hosted server with a long timeout", () => {
    expect(load("000-vllm.json").one("llama3")).toMatchObject({ vendor: "vllm", modelId: "Llama-3-8B-Instruct", apiBase: "http://localhost:8000/v1", requestTimeoutMs: 600_000, apiKeys: ["your-api-key"] });
  });

  it("ollama: no key needed and no warning about one", () => {
    const { one, warnings } = load("000-ollama.json");
    expect(one("llama3")).toMatchObject({ apiBase: "http://localhost:11434/v1", apiKeys: [], modelId: "llama3" });
    expect(warnings).toEqual([]);
  });

  it("http-proxy: providers.openai.proxy applies to the openai entry", () => {
    expect(load("000-http-proxy.json").one("proxied-model")).toMatchObject({ proxy: "http://proxy.example.com:8080", apiBase: "https://api.openai.com/v1" });
  });

  it("reverse-proxy: a custom base without a key (the proxy adds it) loads without warnings", () => {
    const { one, warnings } = load("000-reverse-proxy.json");
    expect(one("gpt4")).toMatchObject({ apiBase: "https://my-llm-proxy.com/v1", apiKeys: [] });
    expect(warnings).toEqual([]);
  });

  it("azure-openai: a resource host speaks the Azure protocol, whatever the prefix", () => {
    const e = load("000-azure-openai.json").one("azure-gpt4");
    expect(e).toMatchObject({ protocol: "azure", modelId: "gpt-4", apiKeys: ["your-azure-key"] });
    expect(describeEntry(e).endpoint).toBe("https://your-resource.openai.azure.com/openai/deployments/gpt-4/chat/completions");
  });

  it("timeout-entry: an unknown prefix stays part of the model id", () => {
    expect(load("000-timeout-entry.json").one("slow-model")).toMatchObject({ vendor: "", modelId: "custom/model", protocol: "openai", requestTimeoutMs: 600_000 });
  });

  it("no-api-key-entry: omitting api_key for a local server", () => {
    const { one, warnings } = load("000-no-api-key-entry.json");
    expect(one("local-model").apiKeys).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it("multi-provider: four groups, each on its vendor's endpoint", () => {
    const { one, directory } = load("000-multi-provider.json");
    expect(directory.all().map((e) => e.modelName)).toEqual(["primary", "fallback", "local", "proxy"]);
    expect(one("primary")).toMatchObject({ apiBase: "https://api.openai.com/v1", modelId: "gpt-5.2" });
    expect(one("fallback")).toMatchObject({ apiBase: "https://api.anthropic.com/v1", modelId: "claude-sonnet-4.6" });
    expect(one("proxy")).toMatchObject({ apiBase: "http://localhost:4000/v1", modelId: "gpt-4" });
  });

  it("development: the agent's max_tokens", () => {
    const { config, selection } = load("000-development.json");
    expect(selection.primary).toBe("dev");
    expect(config.agents.defaults.max_tokens).toBe(2048);
  });
});

describe("doc 001: providers", () => {
  it("model-list: four vendors by prefix, gpt-5.4 is the agent's model", () => {
    const { one, selection } = load("001-model-list.json");
    expect(selection.primary).toBe("gpt-5.4");
    expect(one("ark-code-latest").apiBase).toBe("https://ark.cn-beijing.volces.com/api/v3");
    expect(one("glm-4.7")).toMatchObject({ apiBase: "https://open.bigmodel.cn/api/paas/v4", modelId: "glm-4.7", apiKeys: ["your-zhipu-key"] });
    expect(one("claude-sonnet-4.6").vendor).toBe("anthropic");
  });

  it("voice-model: voice.model_name names a multimodal entry; the groq key stays for Whisper", () => {
    const { config, directory } = load("001-voice-model.json");
    expect(config.voice).toMatchObject({ model_name: "voice-gemini", echo_transcription: false });
    expect(directory.lookup(config.voice.model_name!)[0]).toMatchObject({ vendor: "gemini", modelId: "gemini-2.5-flash" });
    expect(config.providers.groq!.api_key).toBe("gsk_xxx");
  });

  it.each([
    ["001-openai-entry.json", "gpt-5.4", "https://api.openai.com/v1", "gpt-5.4"],
    ["001-volcengine-entry.json", "ark-code-latest", "https://ark.cn-beijing.volces.com/api/v3", "ark-code-latest"],
    ["001-zhipu-entry.json", "glm-4.7", "https://open.bigmodel.cn/api/paas/v4", "glm-4.7"],
    ["001-deepseek-entry.json", "deepseek-chat", "https://api.deepseek.com/v1", "deepseek-chat"],
    ["001-anthropic-entry.json", "claude-sonnet-4.6", "https://api.anthropic.com/v1", "claude-sonnet-4.6"],
    ["001-ollama-entry.json", "llama3", "http://localhost:11434/v1", "llama3"],
    ["001-litellm-entry.json", "lite-gpt4", "http://localhost:4000/v1", "lite-gpt4"],
    ["001-zai-coding-plan-entry.json", "glm-4.7", "https://api.z.ai/api/coding/paas/v4", "glm-4.7"],
  ])("%s: %s goes to %s as %s", (file, name, base, id) => {
    expect(load(file).one(name)).toMatchObject({ apiBase: base, modelId: id, protocol: "openai" });
  });

  it("zai-coding-missing-comma-entry: the document's missing comma is repaired, with a warning naming the line", () => {
    const { warnings, one } = load("001-zai-coding-missing-comma-entry.json");
    expect(warnings).toContainEqual(expect.stringMatching(/line 4: missing comma added/));
    expect(one("glm-4.7")).toMatchObject({ apiBase: "https://api.z.ai/api/coding/paas/v4", modelId: "glm-4.7", apiKeys: ["your-z.ai-key"] });
  });

  it("anthropic-messages-entry: the native Messages protocol at /v1/messages", () => {
    const e = load("001-anthropic-messages-entry.json").one("claude-opus-4-6");
    expect(e).toMatchObject({ protocol: "anthropic", modelId: "claude-opus-4-6", apiBase: "https://api.anthropic.com" });
    expect(describeEntry(e).endpoint).toBe("https://api.anthropic.com/v1/messages");
  });

  it("custom-proxy-entry: a 300 s timeout on a custom base", () => {
    expect(load("001-custom-proxy-entry.json").one("my-custom-model")).toMatchObject({ requestTimeoutMs: 300_000, apiBase: "https://my-proxy.com/v1" });
  });

  it("round-robin: two endpoints in one group, in config order", () => {
    const group = load("001-round-robin.json").directory.lookup("gpt-5.4");
    expect(group.map((e) => [e.id, e.apiBase, e.apiKeys[0]])).toEqual([
      ["gpt-5.4#0", "https://api1.example.com/v1", "sk-key1"],
      ["gpt-5.4#1", "https://api2.example.com/v1", "sk-key2"],
    ]);
  });

  it("fallback-chain: primary + fallbacks, each resolving to its entry", () => {
    const { selection, one } = load("001-fallback-chain.json");
    expect(selection).toEqual({ primary: "qwen-main", fallbacks: ["deepseek-backup", "gemini-backup"] });
    expect(one("qwen-main")).toMatchObject({ modelId: "qwen3.5:cloud", apiBase: "https://api.example.com/v1" });
    expect(one("deepseek-backup").apiBase).toBe("https://api.deepseek.com/v1");
    expect(one("gemini-backup").vendor).toBe("gemini");
  });

  it("legacy-providers: the old form still routes to Zhipu, with a migrate hint; it equals the new form", () => {
    const old = load("001-legacy-providers.json");
    const now = load("001-new-model-list.json");
    expect(old.selection.primary).toBe("glm-4.7");
    expect(old.warnings).toContainEqual(expect.stringMatching(/switchboard migrate/));
    expect(now.warnings).toEqual([]);
    const pick = (e: { vendor: string; modelId: string; apiBase: string; apiKeys: string[]; protocol: string }) => ({ vendor: e.vendor, modelId: e.modelId, apiBase: e.apiBase, apiKeys: e.apiKeys, protocol: e.protocol });
    expect(pick(old.one("glm-4.7"))).toEqual(pick(now.one("glm-4.7")));
    expect(old.one("glm-4.7").source).toBe("providers");
  });

  it("zhipu-configure: a bare model name with providers.zhipu routes to Zhipu, with the agent settings", () => {
    const { one, selection, config, directory } = load("001-zhipu-configure.json");
    expect(selection.primary).toBe("glm-4.7");
    expect(one("glm-4.7")).toMatchObject({ vendor: "zhipu", modelId: "glm-4.7", apiKeys: ["Your API Key"], apiBase: "https://open.bigmodel.cn/api/paas/v4" });
    expect(directory.all().map((e) => e.modelName)).toEqual(["glm-4.7"]);
    expect(config.agents.defaults).toMatchObject({ workspace: "~/.picoclaw/workspace", max_tokens: 8192, temperature: 0.7, max_tool_iterations: 20 });
  });

  it("full-example: anthropic/claude-opus-4-5 goes through OpenRouter with the full reference", () => {
    const { one, selection, directory } = load("001-full-example.json");
    expect(selection.primary).toBe("anthropic/claude-opus-4-5");
    expect(one("anthropic/claude-opus-4-5")).toMatchObject({ vendor: "openrouter", apiBase: "https://openrouter.ai/api/v1", modelId: "anthropic/claude-opus-4-5", apiKeys: ["sk-or-v1-xxx"] });
    expect(directory.all().map((e) => e.modelName)).toEqual(["anthropic/claude-opus-4-5"]);
  });

  it("full-example: channels, tools, heartbeat and session mean what they say", () => {
    const { config, warnings } = load("001-full-example.json");
    expect(config.session.dm_scope).toBe("per-channel-peer");
    expect(config.channels.telegram).toMatchObject({ enabled: true, token: "123456:ABC...", allow_from: ["123456789"], mode: "polling" });
    expect(config.channels.discord).toMatchObject({ enabled: true, allow_from: [] });
    expect(config.channels.whatsapp).toMatchObject({ enabled: false, bridge_url: "ws://localhost:3001", use_native: false });
    expect(config.channels.feishu).toMatchObject({ enabled: false, app_id: "cli_xxx", domain: "feishu" });
    expect(config.tools.web.duckduckgo).toMatchObject({ enabled: true, max_results: 5 });
    expect(config.tools.web.brave).toMatchObject({ enabled: false, max_results: 5 });
    expect(config.tools.web.perplexity?.api_key).toBeUndefined(); // "" is "not set"
    expect(config.tools.web.searxng?.base_url).toBe("http://localhost:8888");
    expect(config.tools.cron.exec_timeout_minutes).toBe(5);
    expect(config.heartbeat).toMatchObject({ enabled: true, interval: 30 });
    expect(warnings).toContainEqual(expect.stringMatching(/channels\.discord\.allow_from has an empty entry/));
    expect(warnings).toContainEqual(expect.stringMatching(/channels\.discord is enabled but has no token/));
    expect(warnings).toContainEqual(expect.stringMatching(/voice\.model_name "voice-gemini" names no configured model.*Groq/));
  });
});

describe("doc 002: load balancing", () => {
  it("round-robin: three entries of one model_name form one group", () => {
    const group = load("002-round-robin.json").directory.lookup("gpt-4");
    expect(group.map((e) => e.id)).toEqual(["gpt-4#0", "gpt-4#1", "gpt-4#2"]);
    expect(group.map((e) => e.apiKeys)).toEqual([["sk-key1"], ["sk-key2"], ["sk-key3"]]);
  });

  it("multiple-api-keys: three Anthropic keys in one group", () => {
    const group = load("002-multiple-api-keys.json").directory.lookup("claude-sonnet");
    expect(group.map((e) => e.apiKeys[0])).toEqual(["sk-ant-key1", "sk-ant-key2", "sk-ant-key3"]);
  });

  it("geographic: three regional endpoints", () => {
    const group = load("002-geographic.json").directory.lookup("gpt-4");
    expect(group.map((e) => new URL(e.apiBase).hostname)).toEqual(["us-east.api.openai.com", "eu-west.api.openai.com", "ap-southeast.api.openai.com"]);
  });

  it("mixed-providers: one group across OpenAI, Anthropic and DeepSeek", () => {
    const group = load("002-mixed-providers.json").directory.lookup("smart-agent");
    expect(group.map((e) => [e.vendor, e.modelId])).toEqual([["openai", "gpt-4"], ["anthropic", "claude-sonnet-4.6"], ["deepseek", "deepseek-chat"]]);
  });

  it("primary-backup: round-robin group first, then DeepSeek; the primary is not its own fallback", () => {
    const { selection, directory } = load("002-primary-backup.json", { DEEPSEEK_API_KEY: "sk-ds" });
    expect(selection).toEqual({ primary: "production", fallbacks: ["deepseek/deepseek-chat"] });
    expect(directory.lookup("production")).toHaveLength(2);
    expect(directory.lookup("deepseek/deepseek-chat")[0]).toMatchObject({ vendor: "deepseek", apiBase: "https://api.deepseek.com/v1", apiKeys: ["sk-ds"], source: "reference" });
  });

  it("primary-backup without a DeepSeek key: a warning says which key to set", () => {
    const { warnings } = load("002-primary-backup.json");
    expect(warnings).toContainEqual(expect.stringMatching(/fallback "deepseek\/deepseek-chat" names no configured model; set providers\.deepseek\.api_key or \$DEEPSEEK_API_KEY/));
  });

  it("timeout: 30 s per Groq entry for fast failover", () => {
    const group = load("002-timeout.json").directory.lookup("fast-agent");
    expect(group.map((e) => [e.requestTimeoutMs, e.apiBase])).toEqual([
      [30_000, "https://api.groq.com/openai/v1"],
      [30_000, "https://api.groq.com/openai/v1"],
    ]);
  });

  it("multi-region-litellm: two proxies, both sending gpt-4", () => {
    const group = load("002-multi-region-litellm.json").directory.lookup("proxy-model");
    expect(group.map((e) => [e.apiBase, e.modelId])).toEqual([["http://us-proxy:4000/v1", "gpt-4"], ["http://eu-proxy:4000/v1", "gpt-4"]]);
  });

  it("vllm-cluster: three GPU nodes without keys", () => {
    const group = load("002-vllm-cluster.json").directory.lookup("llama-local");
    expect(group.map((e) => e.apiBase)).toEqual(["http://gpu-node-1:8000/v1", "http://gpu-node-2:8000/v1", "http://gpu-node-3:8000/v1"]);
    expect(group.every((e) => e.apiKeys.length === 0 && e.modelId === "llama-3-8b")).toBe(true);
  });
});

describe("docs 003 and 004: OpenClaw's LiteLLM provider", () => {
  it("003 litellm-config: env block, /v1 appended, model facts, the alias", () => {
    const env: NodeJS.ProcessEnv = {};
    const { one, selection, directory, warnings } = load("003-litellm-config.json5", env);
    expect(selection.primary).toBe("litellm/gpt-4");
    expect(one("litellm/gpt-4")).toMatchObject({ apiBase: "http://localhost:4000/v1", modelId: "gpt-4", apiKeys: ["sk-..."], contextWindow: 128000, maxTokens: 8192, reasoning: false, input: ["text"], source: "models.providers" });
    expect(directory.lookup("GPT-4")).toEqual(directory.lookup("litellm/gpt-4"));
    expect(env.LITELLM_API_KEY).toBe("sk-...");
    expect(warnings).toEqual([]);
  });

  it("003 multiple-models: every model is a litellm/<id> reference; ${LITELLM_API_KEY} comes from the environment", () => {
    const { one, warnings, directory } = load("003-multiple-models.json5", { LITELLM_API_KEY: "sk-env" });
    expect(directory.all().map((e) => e.modelName)).toEqual(["litellm/gpt-4", "litellm/claude-3-opus", "litellm/gemini-pro"]);
    expect(one("litellm/claude-3-opus")).toMatchObject({ modelId: "claude-3-opus", apiKeys: ["sk-env"], contextWindow: 200000, maxTokens: 4096 });
    expect(warnings).toEqual([]);
  });

  it("003 multiple-models without LITELLM_API_KEY: a warning names the variable and the key path", () => {
    const { warnings } = load("003-multiple-models.json5");
    expect(warnings).toEqual([expect.stringMatching(/^models\.providers\.litellm\.apiKey: environment variable LITELLM_API_KEY is not set/)]);
  });

  it("004 litellm-config: litellm/claude-opus-4-6 at http://localhost:4000/v1", () => {
    const { one, selection } = load("004-litellm-config.json5", { LITELLM_API_KEY: "sk-litellm-key" });
    expect(selection.primary).toBe("litellm/claude-opus-4-6");
    expect(one("litellm/claude-opus-4-6")).toMatchObject({
      apiBase: "http://localhost:4000/v1",
      modelId: "claude-opus-4-6",
      protocol: "openai",
      apiKeys: ["sk-litellm-key"],
      reasoning: true,
      input: ["text", "image"],
      contextWindow: 200000,
      maxTokens: 64000,
    });
    expect(one("litellm/gpt-4o").contextWindow).toBe(128000);
  });

  it("004 image-generation: 180_000 loads as 180000; the image model resolves through the litellm provider", () => {
    const { config, one, warnings } = load("004-image-generation.json5", { LITELLM_API_KEY: "sk-img" });
    expect(warnings).toContainEqual(expect.stringMatching(/line 14: numeric separators removed/));
    expect(config.agents.defaults.imageGenerationModel).toEqual({ primary: "litellm/gpt-image-2", timeoutMs: 180000 });
    expect(one("litellm/gpt-image-2")).toMatchObject({ apiBase: "http://localhost:4000/v1", modelId: "gpt-image-2", apiKeys: ["sk-img"] });
  });
});
