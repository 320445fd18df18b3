// The example configs shipped in config/ load, and mean the same as the
// reference examples they annotate.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfigObject, parseConfigText } from "../../src/config/load.ts";
import { agentModelSelection, buildModelDirectory } from "../../src/config/models.ts";

const root = join(import.meta.dirname, "../..");
const read = (p: string) => readFileSync(join(root, p), "utf8");

describe("config/config.example.json", () => {
  it("is doc 001's full example with comments added: the same object", () => {
    const example = parseConfigObject(read("config/config.example.json"));
    const reference = parseConfigObject(read("test/fixtures/reference/001-full-example.json"));
    expect(example.raw).toEqual(reference.raw);
    expect(example.warnings).toEqual([]);
    expect(read("config/config.example.json")).toMatch(/^\/\//);
  });

  it("loads and routes the agent's model through OpenRouter", () => {
    const env = {};
    const { config } = parseConfigText(read("config/config.example.json"), { env });
    const { primary } = agentModelSelection(config, env);
    expect(buildModelDirectory(config, env).lookup(primary!)[0]).toMatchObject({ apiBase: "https://openrouter.ai/api/v1", modelId: "anthropic/claude-opus-4-5" });
  });
});

describe("config/litellm.example.json5", () => {
  it("is doc 003's config example with comments added, and loads without warnings", () => {
    const example = parseConfigObject(read("config/litellm.example.json5"));
    expect(example.raw).toEqual(parseConfigObject(read("test/fixtures/reference/003-litellm-config.json5")).raw);
    const env = {};
    const { config, warnings } = parseConfigText(read("config/litellm.example.json5"), { env });
    expect(warnings).toEqual([]);
    expect(buildModelDirectory(config, env).lookup("GPT-4")[0]).toMatchObject({ apiBase: "http://localhost:4000/v1", modelId: "gpt-4", apiKeys: ["sk-..."] });
  });
});
