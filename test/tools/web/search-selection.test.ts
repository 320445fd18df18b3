// Which backend web_search uses: tools.web.provider, else the first enabled of
// perplexity, brave, searxng, duckduckgo; misconfigured backends are skipped
// with a warning that names the key to set and never a key's value.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemClock } from "../../../src/core/clock.ts";
import { createLogger } from "../../../src/core/logger.ts";
import { createWebSearchTool, type WebSearchConfig } from "../../../src/tools/web-search/index.ts";
import { BRAVE_KEY, PERPLEXITY_KEY, startSearchFakes, type SearchFakes } from "../../fakes/search-servers.ts";

let fakes: SearchFakes;
beforeAll(async () => {
  fakes = await startSearchFakes();
});
afterAll(() => fakes.close());

function capture() {
  const lines: string[] = [];
  const logger = createLogger({ level: "debug", destination: { write: (s: string) => void lines.push(s) } });
  const warnings = () =>
    lines.map((l) => JSON.parse(l) as { level: number; msg: string }).filter((l) => l.level === 40).map((l) => l.msg);
  return { logger, lines, warnings };
}

const all = (): WebSearchConfig => ({
  brave: { enabled: true, api_key: BRAVE_KEY, max_results: 5, base_url: fakes.url },
  duckduckgo: { enabled: true, max_results: 5, base_url: fakes.url },
  perplexity: { enabled: true, api_key: PERPLEXITY_KEY, max_results: 5, base_url: fakes.url },
  searxng: { enabled: true, base_url: fakes.url, max_results: 5 },
});

function chosen(config: WebSearchConfig) {
  const log = capture();
  const tool = createWebSearchTool(config, { logger: log.logger });
  return { backend: tool?.backend ?? null, tool, warnings: log.warnings(), lines: log.lines };
}

describe("automatic order", () => {
  it("prefers perplexity, then brave, then searxng, then duckduckgo", () => {
    const cfg = all();
    expect(chosen(cfg).backend).toBe("perplexity");
    cfg.perplexity!.enabled = false;
    expect(chosen(cfg).backend).toBe("brave");
    cfg.brave!.enabled = false;
    expect(chosen(cfg).backend).toBe("searxng");
    cfg.searxng!.enabled = false;
    expect(chosen(cfg).backend).toBe("duckduckgo");
    cfg.duckduckgo!.enabled = false;
    const none = chosen(cfg);
    expect(none.backend).toBeNull();
    expect(none.warnings).toEqual(["web_search is off: no search backend is enabled and configured (see tools.web)"]);
  });

  it("sends the search to the chosen backend", async () => {
    const cfg = all();
    cfg.perplexity!.enabled = false;
    fakes.requests.length = 0;
    await createWebSearchTool(cfg)!.run(
      { query: "q" },
      { origin: { sessionKey: "s", channel: "cli", chatId: "c" }, signal: new AbortController().signal, logger: capture().logger, clock: systemClock },
    );
    expect(fakes.requests.map((r) => r.backend)).toEqual(["brave"]);
  });

  it("picks duckduckgo for the reference config's tools.web section", () => {
    // tools.web from the full config example in the reference guide (PicoClaw's provider guide)
    const web = JSON.parse(`{
      "brave": { "enabled": false, "api_key": "BSA...", "max_results": 5 },
      "duckduckgo": { "enabled": true, "max_results": 5 },
      "perplexity": { "enabled": false, "api_key": "", "max_results": 5 },
      "searxng": { "enabled": false, "base_url": "http://localhost:8888", "max_results": 5 }
    }`) as WebSearchConfig;
    const r = chosen(web);
    expect(r.backend).toBe("duckduckgo");
    expect(r.warnings).toEqual([]);
  });
});

describe("tools.web.provider", () => {
  it("overrides the order", () => {
    expect(chosen({ ...all(), provider: "duckduckgo" }).backend).toBe("duckduckgo");
    expect(chosen({ ...all(), provider: "SearXNG" }).backend).toBe("searxng");
  });

  it("is used even when its section is not marked enabled", () => {
    const cfg = all();
    cfg.brave!.enabled = false;
    expect(chosen({ ...cfg, provider: "brave" }).backend).toBe("brave");
  });

  it("falls back to the automatic order, with a warning, when the named backend lacks its key", () => {
    const cfg = all();
    cfg.brave!.api_key = "";
    const r = chosen({ ...cfg, provider: "brave" });
    expect(r.backend).toBe("perplexity");
    expect(r.warnings).toEqual([
      "web search: brave is chosen by tools.web.provider but has no api_key (set tools.web.brave.api_key); choosing another automatically",
    ]);
  });

  it("warns about a name that is not a backend", () => {
    const r = chosen({ ...all(), provider: "google" });
    expect(r.backend).toBe("perplexity");
    expect(r.warnings[0]).toBe(
      'tools.web.provider "google" is not a search backend (use one of perplexity, brave, searxng, duckduckgo); choosing one automatically',
    );
  });
});

describe("misconfigured backends", () => {
  it("skips an enabled backend without an api_key and says which key to set", () => {
    const cfg = all();
    cfg.perplexity!.api_key = "  ";
    const r = chosen(cfg);
    expect(r.backend).toBe("brave");
    expect(r.warnings).toEqual([
      "web search: perplexity is enabled but has no api_key (set tools.web.perplexity.api_key); skipping it",
    ]);
  });

  it("skips searxng without a base_url, and any backend with an unusable one", () => {
    const r = chosen({
      searxng: { enabled: true, max_results: 5 },
      brave: { enabled: true, api_key: BRAVE_KEY, base_url: "ftp://nope" },
      duckduckgo: { enabled: true },
    });
    expect(r.backend).toBe("duckduckgo");
    expect(r.warnings).toEqual([
      "web search: brave is enabled but has an invalid base_url (set tools.web.brave.base_url to an http(s) URL); skipping it",
      "web search: searxng is enabled but has no base_url (set tools.web.searxng.base_url to your SearXNG instance); skipping it",
    ]);
  });

  it("never writes a key into the log", () => {
    const r = chosen({
      provider: "brave",
      brave: { enabled: true, api_key: BRAVE_KEY, base_url: "not a url" },
      perplexity: { enabled: true, api_key: PERPLEXITY_KEY, base_url: "::" },
    });
    expect(r.backend).toBeNull();
    expect(r.warnings.length).toBeGreaterThanOrEqual(2);
    const all = r.lines.join("\n");
    expect(all).not.toContain(BRAVE_KEY);
    expect(all).not.toContain(PERPLEXITY_KEY);
  });

  it("uses the default of 5 results for a missing or nonsensical max_results", async () => {
    const ctx = { origin: { sessionKey: "s", channel: "cli", chatId: "c" }, signal: new AbortController().signal, logger: capture().logger, clock: systemClock };
    for (const max_results of [undefined, 0, -3, Number.NaN]) {
      const tool = createWebSearchTool({ searxng: { enabled: true, base_url: fakes.url, ...(max_results === undefined ? {} : { max_results }) } })!;
      const out = await tool.run({ query: "q" }, ctx);
      expect(String(out).split("\n").filter((l) => /^\d+\. /.test(l))).toHaveLength(5);
    }
  });
});
