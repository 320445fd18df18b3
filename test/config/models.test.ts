import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../src/config/load.ts";
import { agentModelSelection, buildModelDirectory, describeEntry } from "../../src/config/models.ts";
import type { ModelEntry } from "../../src/providers/types.ts";

function configOf(json: unknown) {
  return parseConfigText(JSON.stringify(json), { env: {} }).config;
}

function dir(json: unknown, env: NodeJS.ProcessEnv = {}) {
  return buildModelDirectory(configOf(json), env);
}

describe("model_list entries", () => {
  it("merge api_key and api_keys without duplicates, else take providers.<vendor>, else the vendor's env key", () => {
    const d = dir(
      {
        model_list: [
          { model_name: "a", model: "openai/x", api_key: "k1", api_keys: ["k2", "k1", " k3 "] },
          { model_name: "b", model: "groq/llama" },
          { model_name: "c", model: "deepseek/chat" },
          { model_name: "d", model: "groq/llama", api_key: "own" },
        ],
        providers: { groq: { api_key: "gsk" } },
      },
      { DEEPSEEK_API_KEY: "ds-env", GROQ_API_KEY: "unused" },
    );
    expect(d.lookup("a")[0]!.apiKeys).toEqual(["k1", "k2", "k3"]);
    expect(d.lookup("b")[0]!.apiKeys).toEqual(["gsk"]);
    expect(d.lookup("c")[0]!.apiKeys).toEqual(["ds-env"]);
    expect(d.lookup("d")[0]!.apiKeys).toEqual(["own"]);
  });

  it("take the base from the entry, else providers.<vendor>, else the vendor; no trailing slash", () => {
    const d = dir({
      model_list: [
        { model_name: "a", model: "openai/x", api_base: "https://proxy.example.com/v1/" },
        { model_name: "b", model: "deepseek/chat", api_key: "k" },
        { model_name: "c", model: "moonshot/kimi", api_key: "k" },
      ],
      providers: { deepseek: { api_base: "https://ds.internal/v1///" } },
    });
    expect(d.lookup("a")[0]!.apiBase).toBe("https://proxy.example.com/v1");
    expect(d.lookup("b")[0]!.apiBase).toBe("https://ds.internal/v1");
    expect(d.lookup("c")[0]!.apiBase).toBe("https://api.moonshot.cn/v1");
  });

  it("carry proxy (entry before providers), rpm, extra_body, headers, max_tokens_field and the timeout", () => {
    const [e] = dir({
      model_list: [{
        model_name: "a", model: "openai/o3", api_key: "k", proxy: "http://own:8080", rpm: 30, request_timeout: 2.5,
        extra_body: { reasoning_effort: "high" }, custom_headers: { "X-Org": "me" }, max_tokens_field: "max_completion_tokens",
      }],
      providers: { openai: { proxy: "http://shared:8080" } },
    }).lookup("a");
    expect(e).toMatchObject({ proxy: "http://own:8080", rpm: 30, requestTimeoutMs: 2500, extraBody: { reasoning_effort: "high" }, customHeaders: { "X-Org": "me" }, maxTokensField: "max_completion_tokens" });
  });

  it("speak Azure on an Azure host whatever the prefix, with its api-version", () => {
    const d = dir({
      model_list: [
        { model_name: "a", model: "openai/gpt-4o", api_base: "https://r.openai.azure.com/openai/deployments/gpt4o", api_key: "k", api_version: "2024-10-21" },
        { model_name: "b", model: "azure/gpt-4o", api_base: "https://r.cognitiveservices.azure.com", api_key: "k" },
        { model_name: "c", model: "openai/gpt-4o", api_base: "https://notazure.example.com/v1", api_key: "k" },
      ],
    });
    expect(d.lookup("a")[0]).toMatchObject({ protocol: "azure", apiVersion: "2024-10-21", modelId: "gpt-4o" });
    expect(d.lookup("b")[0]!.protocol).toBe("azure");
    expect(d.lookup("c")[0]!.protocol).toBe("openai");
    expect(describeEntry(d.lookup("a")[0]!).endpoint).toBe("https://r.openai.azure.com/openai/deployments/gpt4o/chat/completions?api-version=2024-10-21");
    expect(describeEntry(d.lookup("b")[0]!).endpoint).toBe("https://r.cognitiveservices.azure.com/openai/deployments/gpt-4o/chat/completions");
  });

  it("number entries per group in config order", () => {
    const d = dir({ model_list: [{ model_name: "a", model: "ollama/x" }, { model_name: "b", model: "ollama/y" }, { model_name: "a", model: "ollama/z" }] });
    expect(d.all().map((e) => e.id)).toEqual(["a#0", "b#0", "a#1"]);
    expect(d.lookup("a").map((e) => e.modelId)).toEqual(["x", "z"]);
  });

  it("keep disabled entries listed but never look them up, nor replace them with a direct reference", () => {
    const d = dir(
      { model_list: [{ model_name: "a", model: "openai/x", enabled: false }, { model_name: "a", model: "openai/y" }, { model_name: "openai/gpt-4o", model: "openai/gpt-4o", enabled: false }] },
      { OPENAI_API_KEY: "k" },
    );
    expect(d.all().map((e) => [e.id, e.enabled])).toEqual([["a#0", false], ["a#1", true], ["openai/gpt-4o#0", false]]);
    expect(d.lookup("a").map((e) => e.modelId)).toEqual(["y"]);
    expect(d.lookup("openai/gpt-4o")).toEqual([]);
  });
});

describe("lookup of references", () => {
  it("builds a direct vendor/model reference from the vendor's defaults and credentials", () => {
    const d = dir({ providers: { anthropic: { api_key: "sk-ant", proxy: "http://p:1" } } }, { OPENAI_API_KEY: "sk-oa" });
    expect(d.lookup("openai/gpt-4o")[0]).toMatchObject({ vendor: "openai", modelId: "gpt-4o", apiBase: "https://api.openai.com/v1", apiKeys: ["sk-oa"], source: "reference" });
    expect(d.lookup("anthropic-messages/claude-x")[0]).toMatchObject({ protocol: "anthropic", apiBase: "https://api.anthropic.com", apiKeys: ["sk-ant"] });
    expect(d.lookup("anthropic/claude-x")[0]).toMatchObject({ apiKeys: ["sk-ant"], proxy: "http://p:1" });
    expect(d.lookup("ollama/llama3")[0]).toMatchObject({ apiBase: "http://localhost:11434/v1", apiKeys: [] });
  });

  it("routes a vendor without credentials through OpenRouter, sending the full reference", () => {
    const d = dir({ providers: { openrouter: { api_key: "sk-or", api_base: "https://or.example.com/api/v1/" } } });
    expect(d.lookup("anthropic/claude-opus-4-5")[0]).toMatchObject({ vendor: "openrouter", model: "anthropic/claude-opus-4-5", modelId: "anthropic/claude-opus-4-5", apiBase: "https://or.example.com/api/v1", apiKeys: ["sk-or"] });
    expect(dir({}, { OPENROUTER_API_KEY: "env-or" }).lookup("deepseek/deepseek-chat")[0]).toMatchObject({ apiBase: "https://openrouter.ai/api/v1", apiKeys: ["env-or"] });
  });

  it("prefers the vendor's own key over OpenRouter", () => {
    const d = dir({ providers: { openrouter: { api_key: "sk-or" } } }, { ANTHROPIC_API_KEY: "sk-ant" });
    expect(d.lookup("anthropic/claude-opus-4-5")[0]).toMatchObject({ vendor: "anthropic", apiBase: "https://api.anthropic.com/v1", modelId: "claude-opus-4-5" });
  });

  it("returns [] for what nothing can serve", () => {
    const d = dir({});
    expect(d.lookup("nonexistent")).toEqual([]);
    expect(d.lookup("openai/gpt-4o")).toEqual([]); // no key anywhere
    expect(d.lookup("antigravity/gemini")).toEqual([]); // unsupported vendor
    expect(d.lookup("")).toEqual([]);
  });

  it("resolves aliases to groups and references, and works when detached from the directory", () => {
    const d = dir({
      model_list: [{ model_name: "main", model: "ollama/qwen" }],
      agents: { defaults: { models: { main: { alias: "Q" }, "ollama/llama3": { alias: "L" } } } },
    });
    const { lookup } = d;
    expect(lookup("Q").map((e) => e.id)).toEqual(["main#0"]);
    expect(lookup("L")[0]!.modelId).toBe("llama3");
    expect(d.aliases.get("Q")).toBe("main");
  });

  it("in models.mode replace, offers only the configured models", () => {
    const merge = dir({ models: { providers: { litellm: { baseUrl: "http://localhost:4000", models: [{ id: "a" }] } } } }, { OPENAI_API_KEY: "k" });
    const replace = dir({ models: { mode: "replace", providers: { litellm: { baseUrl: "http://localhost:4000", models: [{ id: "a" }] } } } }, { OPENAI_API_KEY: "k" });
    expect(merge.lookup("openai/gpt-4o")).toHaveLength(1);
    expect(replace.lookup("openai/gpt-4o")).toEqual([]);
    expect(replace.lookup("litellm/b")[0]!.modelId).toBe("b");
  });
});

describe("OpenClaw models.providers", () => {
  it("maps api, baseUrl and per-model facts", () => {
    const d = dir({
      models: {
        providers: {
          claude: { baseUrl: "https://proxy.example.com/anthropic/", apiKey: "k", api: "anthropic-messages", models: [{ id: "claude-x", maxTokens: 4096 }] },
          lm: { baseUrl: "http://10.0.0.2:4000/v1", apiKey: "k", headers: { "X-A": "1" }, models: [{ id: "m", headers: { "X-B": "2" } }] },
        },
      },
    });
    expect(d.lookup("claude/claude-x")[0]).toMatchObject({ protocol: "anthropic", apiBase: "https://proxy.example.com/anthropic", vendor: "", maxTokens: 4096 });
    expect(d.lookup("lm/m")[0]).toMatchObject({ apiBase: "http://10.0.0.2:4000/v1", customHeaders: { "X-A": "1", "X-B": "2" } });
  });

  it("lets a model_list group of the same name win", () => {
    const d = dir({
      model_list: [{ model_name: "litellm/gpt-4", model: "openai/gpt-4", api_base: "http://other:1/v1" }],
      models: { providers: { litellm: { baseUrl: "http://localhost:4000", models: [{ id: "gpt-4" }] } } },
    });
    expect(d.lookup("litellm/gpt-4").map((e) => e.apiBase)).toEqual(["http://other:1/v1"]);
    expect(d.all()).toHaveLength(1);
  });
});

describe("LITELLM_* environment", () => {
  it("alone gives litellm/<LITELLM_MODEL> at LITELLM_BASE_URL, and makes it the primary", () => {
    const config = configOf({});
    const env = { LITELLM_API_KEY: "sk-l" };
    expect(agentModelSelection(config, env).primary).toBe("litellm/gpt-4");
    expect(buildModelDirectory(config, env).all()).toEqual([expect.objectContaining({ id: "litellm/gpt-4#0", apiBase: "http://localhost:4000/v1", modelId: "gpt-4", apiKeys: ["sk-l"], source: "env" })]);
    const custom = { LITELLM_API_KEY: "sk-l", LITELLM_BASE_URL: "http://10.0.0.5:4000/", LITELLM_MODEL: "claude-opus-4-6" };
    expect(agentModelSelection(config, custom).primary).toBe("litellm/claude-opus-4-6");
    expect(buildModelDirectory(config, custom).lookup("litellm/claude-opus-4-6")[0]).toMatchObject({ apiBase: "http://10.0.0.5:4000/v1", modelId: "claude-opus-4-6" });
  });

  it("gives a base to litellm models that name none", () => {
    const env = { LITELLM_BASE_URL: "https://llm.corp.example/v1", LITELLM_API_KEY: "sk-l" };
    const d = dir({ model_list: [{ model_name: "x", model: "litellm/x" }], models: { providers: { litellm: { apiKey: "own" } } } }, env);
    expect(d.lookup("x")[0]).toMatchObject({ apiBase: "https://llm.corp.example/v1", apiKeys: ["sk-l"] });
    expect(d.lookup("litellm/other")[0]).toMatchObject({ apiBase: "https://llm.corp.example/v1", apiKeys: ["own"] });
  });

  it("stays out of the way without the variables", () => {
    expect(dir({}).all()).toEqual([]);
    expect(agentModelSelection(configOf({}), {}).primary).toBeUndefined();
  });
});

describe("the agent's model selection", () => {
  it.each([
    [{ model_name: "a", model: "b" }, "a"],
    [{ model: "b" }, "b"],
    [{ model: { primary: "c" } }, "c"],
    [{ model_name: "a", model: { primary: "c" } }, "a"],
  ])("%j → primary %s", (defaults, primary) => {
    expect(agentModelSelection(configOf({ agents: { defaults } }), {}).primary).toBe(primary);
  });

  it("reads fallbacks from model.fallbacks, else fallbacks, else model_fallbacks; deduped, without the primary", () => {
    const sel = (defaults: unknown) => agentModelSelection(configOf({ agents: { defaults } }), {}).fallbacks;
    expect(sel({ model: { primary: "p", fallbacks: ["x", "p", "x", "y"] }, fallbacks: ["z"] })).toEqual(["x", "y"]);
    expect(sel({ model_name: "p", fallbacks: ["z", "p"], model_fallbacks: ["w"] })).toEqual(["z"]);
    expect(sel({ model_name: "p", model_fallbacks: ["w"] })).toEqual(["w"]);
    expect(sel({})).toEqual([]);
  });

  it("without a named model takes the first enabled model_list entry, then the first models.providers model", () => {
    expect(agentModelSelection(configOf({ model_list: [{ model_name: "off", model: "ollama/a", enabled: false }, { model_name: "on", model: "ollama/b" }] }), {}).primary).toBe("on");
    expect(agentModelSelection(configOf({ models: { providers: { litellm: { models: [{ id: "m1" }, { id: "m2" }] } } } }), {}).primary).toBe("litellm/m1");
  });
});

describe("the legacy providers form", () => {
  it("accepts provider with model_name, and an unknown provider with its own base", () => {
    const d = dir({ agents: { defaults: { provider: "zhipu", model_name: "glm-4.7" } }, providers: { zhipu: { api_key: "k" } } });
    expect(d.lookup("glm-4.7")[0]).toMatchObject({ vendor: "zhipu", modelId: "glm-4.7", source: "providers" });
    const custom = dir({ agents: { defaults: { provider: "mycorp", model: "m-1" } }, providers: { mycorp: { api_key: "k", api_base: "https://llm.corp/v1" } } });
    expect(custom.lookup("m-1")[0]).toMatchObject({ vendor: "", modelId: "m-1", apiBase: "https://llm.corp/v1", apiKeys: ["k"] });
  });
});

describe("describeEntry", () => {
  const entry: ModelEntry = {
    id: "a#0", modelName: "a", model: "openai/x", vendor: "openai", protocol: "openai", modelId: "x",
    apiBase: "https://api.openai.com/v1", apiKeys: ["sk-proj-abcdefghijklmnop", "sk-second-0987654321"],
    requestTimeoutMs: 30_000, enabled: true, source: "model_list", proxy: "http://bob:pa55word@proxy:3128",
  };

  it("shows the endpoint and masked keys, never a secret", () => {
    const d = describeEntry(entry);
    expect(d).toMatchObject({ endpoint: "https://api.openai.com/v1/chat/completions", keys: ["sk-…mnop", "sk-…4321"], proxy: "http://bob:[redacted]@proxy:3128", timeoutSeconds: 30 });
    const text = JSON.stringify(d);
    for (const secret of ["abcdefghijklmnop", "0987654321", "pa55word"]) expect(text).not.toContain(secret);
    expect(d.summary).toBe("a#0: openai/x → https://api.openai.com/v1/chat/completions (openai, key sk-…mnop, sk-…4321, 30s, via http://bob:[redacted]@proxy:3128)");
  });

  it("says when there is no key, no base, or the entry is disabled", () => {
    const d = describeEntry({ ...entry, apiKeys: [], apiBase: "", enabled: false, proxy: undefined });
    expect(d.keys).toEqual(["(none)"]);
    expect(d.endpoint).toBe("(no api_base)");
    expect(d.summary).toMatch(/disabled\)$/);
  });

  it("shows the Anthropic Messages endpoint once, whether or not the base ends in /v1", () => {
    expect(describeEntry({ ...entry, protocol: "anthropic", apiBase: "https://api.anthropic.com" }).endpoint).toBe("https://api.anthropic.com/v1/messages");
    expect(describeEntry({ ...entry, protocol: "anthropic", apiBase: "https://api.anthropic.com/v1" }).endpoint).toBe("https://api.anthropic.com/v1/messages");
  });
});
