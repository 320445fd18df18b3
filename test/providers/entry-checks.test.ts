// Vendors at load time: unknown prefixes, Azure without an endpoint,
// unsupported vendors, and the prefixes PicoClaw knows with their bases.
import { describe, expect, it } from "vitest";
import { buildModelDirectory, parseConfigText } from "../../src/config/index.ts";
import { ConfigError } from "../../src/core/errors.ts";
import { vendor } from "../../src/providers/catalogue.ts";

const parse = (cfg: unknown, env: NodeJS.ProcessEnv = {}) => parseConfigText(JSON.stringify(cfg), { env, file: "config.json" });

function refused(cfg: unknown): ConfigError {
  try {
    parse(cfg);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("the config was accepted");
}

describe("vendor prefixes at load time", () => {
  it("refuses an unknown prefix without api_base, naming the entry (exit 78)", () => {
    const err = refused({ model_list: [{ model_name: "mine", model: "acme/big-model", api_key: "sk-acme-123456" }] });
    expect(err.exitCode).toBe(78);
    expect(err.problems[0]).toMatchObject({ path: "model_list[0].model" });
    expect(err.message).toMatch(/"acme".*mine.*not a vendor/);
    expect(err.message).toMatch(/set model_list\[0\]\.api_base/);
    expect(err.message).not.toContain("sk-acme-123456");
  });

  it("accepts an unknown prefix at a named endpoint and sends the whole id there", () => {
    const { config } = parse({ model_list: [{ model_name: "m", model: "meta-llama/Llama-3-8B", api_base: "http://127.0.0.1:9/v1" }] });
    const [e] = buildModelDirectory(config, {}).lookup("m");
    expect(e).toMatchObject({ apiBase: "http://127.0.0.1:9/v1", modelId: "meta-llama/Llama-3-8B" });
  });

  it("refuses the old provider form naming an unknown vendor without api_base", () => {
    const err = refused({ providers: { acme: { api_key: "sk-acme-123456" } }, agents: { defaults: { provider: "acme", model: "big" } } });
    expect(err.problems[0]!.path).toBe("agents.defaults.provider");
    expect(() => parse({ providers: { acme: { api_key: "k", api_base: "http://127.0.0.1:9/v1" } }, agents: { defaults: { provider: "acme", model: "big" } } })).not.toThrow();
  });

  it("refuses an Azure entry without api_base, naming api_base", () => {
    const err = refused({ model_list: [{ model_name: "az", model: "azure-openai/gpt-4o", api_key: "k" }] });
    expect(err.problems[0]!.path).toBe("model_list[0].api_base");
    expect(() => parse({ providers: { azure: { api_base: "https://r.openai.azure.com" } }, model_list: [{ model_name: "az", model: "azure/gpt-4o", api_key: "k" }] })).not.toThrow();
  });

  it("warns about an unsupported vendor and keeps going when something else can serve", () => {
    const { warnings } = parse({
      model_list: [
        { model_name: "ag", model: "antigravity/gemini-3-pro" },
        { model_name: "ok", model: "ollama/llama3" },
      ],
      agents: { defaults: { model_name: "ag", fallbacks: ["ok"] } },
    });
    expect(warnings).toContainEqual(expect.stringMatching(/model_list\[0\] \(ag\): Antigravity .*not supported; .*OpenAI-compatible proxy.*skipped/));
  });

  it("refuses a config whose only models are unsupported", () => {
    const err = refused({ model_list: [{ model_name: "cp", model: "github-copilot/gpt-5" }], agents: { defaults: { model_name: "cp" } } });
    expect(err.message).toMatch(/cannot call: GitHub Copilot/);
  });

  it("knows PicoClaw's OpenAI-compatible prefixes with their default bases", () => {
    expect(vendor("venice")).toMatchObject({ apiBase: "https://api.venice.ai/api/v1", protocol: "openai", keyEnv: "VENICE_API_KEY" });
    expect(vendor("lmstudio")).toMatchObject({ apiBase: "http://localhost:1234/v1", needsKey: false });
    expect(vendor("novita")?.apiBase).toBe("https://api.novita.ai/openai");
    expect(vendor("qwen-intl")?.apiBase).toBe("https://dashscope-intl.aliyuncs.com/compatible-mode/v1");
    expect(vendor("dashscope-us")?.apiBase).toBe("https://dashscope-us.aliyuncs.com/compatible-mode/v1");
    expect(vendor("coding-plan")?.apiBase).toBe("https://coding-intl.dashscope.aliyuncs.com/v1");
    expect(vendor("coding-plan-anthropic")?.protocol).toBe("anthropic");
    const { config } = parse({ model_list: [{ model_name: "v", model: "venice/llama-3.3-70b", api_key: "vk-123456" }] });
    expect(buildModelDirectory(config, {}).lookup("v")[0]).toMatchObject({ vendor: "venice", apiBase: "https://api.venice.ai/api/v1", modelId: "llama-3.3-70b" });
  });
});
