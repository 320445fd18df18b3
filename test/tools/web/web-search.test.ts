// web_search against local fakes of Brave, DuckDuckGo, Perplexity and SearXNG:
// each backend's request, its results normalized to {title, url, snippet} and
// rendered as numbered text, and its failures turned into ToolErrors that name
// the backend and the status, never the key.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { systemClock } from "../../../src/core/clock.ts";
import { silentLogger } from "../../../src/core/logger.ts";
import { ToolError, type ToolContext } from "../../../src/tools/types.ts";
import { createWebSearchTool, parseDuckDuckGoHtml, unwrapDuckLink, type WebSearchConfig } from "../../../src/tools/web-search/index.ts";
import { BRAVE_KEY, PERPLEXITY_KEY, startSearchFakes, type SearchFakes } from "../../fakes/search-servers.ts";

let fakes: SearchFakes;
beforeAll(async () => {
  fakes = await startSearchFakes();
});
afterAll(() => fakes.close());
beforeEach(() => {
  for (const b of ["brave", "duckduckgo", "perplexity", "searxng"] as const) fakes.fail(b, null);
  fakes.duckChallenge(false);
  fakes.empty(false);
  fakes.perplexityCitationsOnly(false);
  fakes.requests.length = 0;
});

function ctx(signal: AbortSignal = new AbortController().signal): ToolContext {
  return { origin: { sessionKey: "s", channel: "cli", chatId: "c" }, signal, logger: silentLogger(), clock: systemClock };
}

const only = (provider: string, extra: Record<string, unknown> = {}): WebSearchConfig => ({
  provider,
  brave: { enabled: true, api_key: BRAVE_KEY, base_url: fakes.url, ...extra },
  duckduckgo: { enabled: true, base_url: fakes.url, ...extra },
  perplexity: { enabled: true, api_key: PERPLEXITY_KEY, base_url: fakes.url, ...extra },
  searxng: { enabled: true, base_url: fakes.url, ...extra },
});

async function search(config: WebSearchConfig, query: string, count?: number): Promise<string> {
  const tool = createWebSearchTool(config);
  if (!tool) throw new Error("no tool");
  const out = await tool.run({ query, ...(count ? { count } : {}) }, ctx());
  return typeof out === "string" ? out : out.text;
}

async function searchError(config: WebSearchConfig, query = "tides"): Promise<string> {
  const err = await search(config, query).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ToolError);
  return (err as Error).message;
}

describe("brave", () => {
  it("sends the key header and count, and normalizes web.results", async () => {
    const out = await search(only("brave"), "tide tables");
    const req = fakes.requests.at(-1)!;
    expect(req).toMatchObject({ backend: "brave", method: "GET", query: { q: "tide tables", count: "5" } });
    expect(req.headers["x-subscription-token"]).toBe(BRAVE_KEY);
    expect(out).toBe(
      [
        'Results for "tide tables" (via brave):',
        "1. Result about tide tables",
        "   https://example.com/first",
        "   The first result & its snippet.",
        "2. Second page",
        "   https://example.org/second?x=1&y=2",
        "   Second snippet, with bold in HTML.",
        "3. Third page",
        "   https://third.example.net/",
        "   Third snippet.",
        "4. Fourth page",
        "   https://example.com/fourth",
        "   Fourth snippet.",
        "5. Fifth page",
        "   https://example.com/fifth",
        "   Fifth snippet.",
      ].join("\n"),
    );
  });

  it("says so when there are no results", async () => {
    fakes.empty(true);
    expect(await search(only("brave"), "nothing")).toBe('No results for "nothing" (via brave).');
  });
});

describe("duckduckgo", () => {
  it("posts the query as a form and reads the HTML page: ads dropped, uddg links unwrapped", async () => {
    const out = await search(only("duckduckgo"), "tide & time");
    const req = fakes.requests.at(-1)!;
    expect(req.method).toBe("POST");
    expect(req.path).toBe("/html/");
    expect(new URLSearchParams(req.body).get("q")).toBe("tide & time");
    expect(out).not.toContain("Sponsored");
    expect(out).not.toContain("y.js");
    expect(out.split("\n").slice(0, 7)).toEqual([
      'Results for "tide & time" (via duckduckgo):',
      "1. Result about tide & time",
      "   https://example.com/first",
      "   The first result & its snippet.",
      "2. Second page",
      "   https://example.org/second?x=1&y=2",
      "   Second snippet, with bold in HTML.",
    ]);
    expect(out).toContain("3. Third page\n   https://third.example.net/"); // a direct link is kept as is
    expect(out).not.toContain("6. ");
  });

  it("turns the bot check into an error naming the backend", async () => {
    fakes.duckChallenge(true);
    expect(await searchError(only("duckduckgo"))).toBe(
      "duckduckgo search failed: HTTP 202: DuckDuckGo answered with a bot check; try again later or configure another backend",
    );
  });

  it("reports an empty page as no results", async () => {
    fakes.empty(true);
    expect(await search(only("duckduckgo"), "zzqx")).toBe('No results for "zzqx" (via duckduckgo).');
  });

  it("unwraps redirect links and drops ads and internal links", () => {
    expect(unwrapDuckLink("//duckduckgo.com/l/?uddg=https%3A%2F%2Fa.example%2Fp%3Fq%3D1&rut=x")).toBe("https://a.example/p?q=1");
    expect(unwrapDuckLink("https://duckduckgo.com/l/?uddg=http%3A%2F%2Fb.example%2F")).toBe("http://b.example/");
    expect(unwrapDuckLink("https://duckduckgo.com/y.js?ad_domain=x")).toBeNull();
    expect(unwrapDuckLink("//duckduckgo.com/l/?uddg=javascript%3Aalert(1)")).toBeNull();
    expect(unwrapDuckLink("javascript:alert(1)")).toBeNull();
    expect(unwrapDuckLink("https://direct.example/")).toBe("https://direct.example/");
    expect(unwrapDuckLink(null)).toBeNull();
  });

  it("skips results without a usable link and repeated URLs", async () => {
    const html = `<div class="result"><a class="result__a" href="//duckduckgo.com/l/?uddg=https%3A%2F%2Fx.example%2F">X</a></div>
      <div class="result"><a class="result__a" href="javascript:void(0)">Bad</a></div>
      <div class="result"><a class="result__a" href="https://x.example/">X again</a><div class="result__snippet">dup</div></div>`;
    expect(await parseDuckDuckGoHtml(html)).toEqual([{ title: "X", url: "https://x.example/", snippet: "" }]);
  });
});

describe("perplexity", () => {
  it("posts a sonar chat completion with the bearer key and returns the answer and its sources", async () => {
    const out = await search(only("perplexity"), "why tides");
    const req = fakes.requests.at(-1)!;
    expect(req.method).toBe("POST");
    expect(req.headers.authorization).toBe(`Bearer ${PERPLEXITY_KEY}`);
    const body = JSON.parse(req.body) as { model: string; messages: { role: string; content: string }[] };
    expect(body.model).toBe("sonar");
    expect(body.messages.at(-1)).toEqual({ role: "user", content: "why tides" });
    expect(out.split("\n").slice(0, 8)).toEqual([
      'Answer for "why tides" (via perplexity):',
      "why tides is explained in detail here [1][2].", // the <think> block is gone
      "",
      "Sources:",
      "1. Result about why tides",
      "   https://example.com/first",
      "   The first result & its snippet.",
      "2. Second page",
    ]);
    expect(out).toContain("5. Fifth page");
    expect(out).not.toContain("6. Sixth page");
  });

  it("uses the configured model", async () => {
    await search(only("perplexity", { model: "sonar-pro" }), "q");
    expect(JSON.parse(fakes.requests.at(-1)!.body)).toMatchObject({ model: "sonar-pro" });
  });

  it("falls back to citations when search_results are absent", async () => {
    fakes.perplexityCitationsOnly(true);
    const out = await search(only("perplexity"), "q", 2);
    expect(out).toContain("Sources:\n1. example.com\n   https://example.com/first\n2. example.org\n   https://example.org/second?x=1&y=2");
  });
});

describe("searxng", () => {
  it("asks for JSON and normalizes results, dropping repeated URLs", async () => {
    const out = await search(only("searxng", { max_results: 10 }), "tides");
    expect(fakes.requests.at(-1)).toMatchObject({ method: "GET", path: "/search", query: { q: "tides", format: "json" } });
    expect(out.startsWith('Answer for "tides" (via searxng):\ntides answer box\n\nSources:\n1. Result about tides')).toBe(true);
    expect(out.match(/https:\/\/example\.com\/first/g)).toHaveLength(1);
    expect(out).toContain("7. Seventh page");
  });

  it("keeps a path prefix in base_url", async () => {
    await search(only("searxng", { base_url: `${fakes.url}/searx/` }), "x");
    expect(fakes.requests.at(-1)!.path).toBe("/searx/search");
  });

  it("explains a 403 (JSON output not enabled)", async () => {
    fakes.fail("searxng", 403);
    expect(await searchError(only("searxng"))).toBe(
      "searxng search failed: HTTP 403 Forbidden: is the json format enabled in SearXNG's settings.yml (search.formats)?",
    );
  });
});

describe("result counts", () => {
  it("returns max_results by default, fewer when the model asks, never more than max_results", async () => {
    const numbered = (s: string) => s.split("\n").filter((l) => /^\d+\. /.test(l)).length;
    expect(numbered(await search(only("searxng"), "q"))).toBe(5);
    expect(numbered(await search(only("searxng", { max_results: 3 }), "q"))).toBe(3);
    expect(numbered(await search(only("searxng"), "q", 2))).toBe(2);
    expect(numbered(await search(only("searxng"), "q", 10))).toBe(5);
    await search(only("brave", { max_results: 3 }), "q", 10);
    expect(fakes.requests.at(-1)!.query.count).toBe("3");
  });
});

describe("errors", () => {
  it.each([
    ["brave", 401, "brave search failed: HTTP 401 Unauthorized: the API key was rejected (check tools.web.brave.api_key)"],
    ["brave", 429, "brave search failed: HTTP 429 Too Many Requests: rate limited; try again later"],
    ["brave", 500, "brave search failed: HTTP 500 Internal Server Error: the service had an error; try again later"],
    ["perplexity", 401, "perplexity search failed: HTTP 401 Unauthorized: the API key was rejected (check tools.web.perplexity.api_key)"],
    ["perplexity", 429, "perplexity search failed: HTTP 429 Too Many Requests: rate limited; try again later"],
    ["perplexity", 500, "perplexity search failed: HTTP 500 Internal Server Error: the service had an error; try again later"],
    ["searxng", 500, "searxng search failed: HTTP 500 Internal Server Error: the service had an error; try again later"],
    ["duckduckgo", 429, "duckduckgo search failed: HTTP 429 Too Many Requests: rate limited; try again later"],
  ] as const)("%s answering %i becomes a ToolError naming both", async (backend, status, message) => {
    fakes.fail(backend, status);
    const got = await searchError(only(backend));
    expect(got).toBe(message);
    // the fake echoes the key it received in its error body; it must not reach the model
    expect(got).not.toContain(BRAVE_KEY);
    expect(got).not.toContain(PERPLEXITY_KEY);
  });

  it("rejects a key the service does not know, without repeating either key", async () => {
    const got = await searchError({ provider: "brave", brave: { enabled: true, api_key: "BSA-wrong-key-000", base_url: fakes.url } });
    expect(got).toMatch(/^brave search failed: HTTP 401/);
    expect(got).not.toContain("BSA-wrong-key-000");
  });

  it("reports a body that is not the expected shape", async () => {
    const odd = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ web: { results: [{ title: "no url" }] } }));
    });
    await new Promise<void>((r) => odd.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(odd.address() as AddressInfo).port}`;
    try {
      const got = await searchError({ provider: "brave", brave: { enabled: true, api_key: BRAVE_KEY, base_url: url } });
      expect(got).toBe("brave search failed: unexpected response shape (at web.results.0.url)");
    } finally {
      await new Promise<void>((r) => odd.close(() => r()));
    }
  });

  it("reports a service that cannot be reached, without the key", async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const got = await searchError({
      provider: "perplexity",
      perplexity: { enabled: true, api_key: PERPLEXITY_KEY, base_url: `http://127.0.0.1:${port}` },
    });
    expect(got).toBe("perplexity search failed: ECONNREFUSED");
  });

  it("times out a service that never answers", async () => {
    const hang = createServer(() => {});
    await new Promise<void>((r) => hang.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(hang.address() as AddressInfo).port}`;
    try {
      const tool = createWebSearchTool({ provider: "searxng", searxng: { enabled: true, base_url: url } }, { timeoutMs: 200 });
      const err = await tool!.run({ query: "q" }, ctx()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ToolError);
      expect((err as Error).message).toBe("searxng search timed out after 0.2 s");
    } finally {
      hang.closeAllConnections();
      await new Promise<void>((r) => hang.close(() => r()));
    }
  });
});
