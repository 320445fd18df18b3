// Local fakes of the four web_search backends on one loopback server. Each
// route answers with the real service's response shape, checks the auth
// header / query parameters it requires, records what it received, and can be
// told to fail with a status (401, 429, 500, ...).
//   GET  /res/v1/web/search   Brave Search API (X-Subscription-Token)
//   POST /html/               DuckDuckGo HTML endpoint (form field q)
//   POST /chat/completions    Perplexity Sonar (Authorization: Bearer)
//   GET  /search?format=json  SearXNG
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";

export type FakeBackend = "brave" | "duckduckgo" | "perplexity" | "searxng";

export interface RecordedSearchRequest {
  backend: FakeBackend;
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface SearchFakesOptions {
  braveKey?: string;
  perplexityKey?: string;
}

export interface SearchFakes {
  /** base URL of the server, e.g. http://127.0.0.1:41234 — use it as every backend's base_url */
  url: string;
  requests: RecordedSearchRequest[];
  /** answer every request to `backend` with `status` until cleared with null */
  fail(backend: FakeBackend, status: number | null): void;
  /** make DuckDuckGo answer with its bot-check page (HTTP 202) until cleared */
  duckChallenge(on: boolean): void;
  /** make every backend return no results until cleared */
  empty(on: boolean): void;
  /** make Perplexity answer in its older shape: citations[] (URLs) without search_results[] */
  perplexityCitationsOnly(on: boolean): void;
  close(): Promise<void>;
}

export const BRAVE_KEY = "BSA-test-key-7f3a9c";
export const PERPLEXITY_KEY = "pplx-test-key-91b2e4";

/** The hits every fake returns (the query is echoed into the first title). */
export function fakeHits(query: string) {
  return [
    { title: `Result about ${query}`, url: "https://example.com/first", snippet: "The first result & its snippet." },
    { title: "Second page", url: "https://example.org/second?x=1&y=2", snippet: "Second snippet, with <b>bold</b> in HTML." },
    { title: "Third page", url: "https://third.example.net/", snippet: "Third snippet." },
    { title: "Fourth page", url: "https://example.com/fourth", snippet: "Fourth snippet." },
    { title: "Fifth page", url: "https://example.com/fifth", snippet: "Fifth snippet." },
    { title: "Sixth page", url: "https://example.com/sixth", snippet: "Sixth snippet." },
    { title: "Seventh page", url: "https://example.com/seventh", snippet: "Seventh snippet." },
  ];
}

const escapeHtml = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

function braveBody(query: string, count: number, empty: boolean) {
  const hits = empty ? [] : fakeHits(query).slice(0, count);
  return {
    type: "search",
    query: { original: query, show_strict_warning: false, is_navigational: false, spellcheck_off: true, country: "us" },
    mixed: { type: "mixed", main: hits.map((_, i) => ({ type: "web", index: i, all: false })), top: [], side: [] },
    web: {
      type: "search",
      family_friendly: true,
      results: hits.map((h, i) => ({
        title: i === 1 ? "Second <strong>page</strong>" : h.title,
        url: h.url,
        is_source_local: false,
        is_source_both: false,
        description: i === 1 ? "Second snippet, with <strong>bold</strong> in HTML." : escapeHtml(h.snippet),
        page_age: "2025-11-02T10:00:00",
        profile: { name: new URL(h.url).hostname, url: h.url, long_name: new URL(h.url).hostname, img: "" },
        language: "en",
        family_friendly: true,
        type: "search_result",
        subtype: "generic",
        meta_url: { scheme: "https", netloc: new URL(h.url).hostname, hostname: new URL(h.url).hostname, path: "" },
        age: "November 2, 2025",
      })),
    },
  };
}

function duckPage(query: string, empty: boolean): string {
  const ad = `
  <div class="result results_links results_links_deep result--ad result--ad--small">
    <div class="links_main links_deep result__body">
      <h2 class="result__title"><a rel="nofollow" class="result__a" href="https://duckduckgo.com/y.js?ad_domain=ads.example&amp;ad_provider=bingv7aa&amp;u3=x">Buy <b>${escapeHtml(query)}</b> now</a></h2>
      <a class="result__snippet" href="https://duckduckgo.com/y.js?ad_domain=ads.example">Sponsored snippet</a>
    </div>
  </div>`;
  const results = empty
    ? `<div class="no-results">No results found for <b>${escapeHtml(query)}</b>.</div>`
    : fakeHits(query)
        .map((h, i) => {
          // the third hit links directly, the others go through the /l/?uddg= redirect
          const href = i === 2 ? h.url : `//duckduckgo.com/l/?uddg=${encodeURIComponent(h.url)}&amp;rut=abc${i}`;
          const snippet = i === 1 ? "Second snippet, with <b>bold</b> in HTML." : escapeHtml(h.snippet);
          return `
  <div class="result results_links results_links_deep web-result ">
    <div class="links_main links_deep result__body">
      <h2 class="result__title">
        <a rel="nofollow" class="result__a" href="${href}">${escapeHtml(h.title)}</a>
      </h2>
      <div class="result__extras">
        <div class="result__extras__url">
          <span class="result__icon"><a rel="nofollow" href="${href}"><img class="result__icon__img" width="16" height="16" alt="" src="//external-content.duckduckgo.com/ip3/${new URL(h.url).hostname}.ico" name="i15" /></a></span>
          <a class="result__url" href="${href}">${new URL(h.url).hostname}</a>
        </div>
      </div>
      <a class="result__snippet" href="${href}">${snippet}</a>
      <div class="clear"></div>
    </div>
  </div>`;
        })
        .join("\n");
  return `<!DOCTYPE html PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN" "http://www.w3.org/TR/html4/loose.dtd">
<html>
<head>
  <meta http-equiv="content-type" content="text/html; charset=UTF-8">
  <meta name="referrer" content="origin">
  <title>${escapeHtml(query)} at DuckDuckGo</title>
  <link rel="stylesheet" href="/dist/h.css" type="text/css">
</head>
<body class="body--html">
  <div class="header--aside"></div>
  <div>
    <form id="search_form" name="x" action="/html/" method="post">
      <input type="text" name="q" value="${escapeHtml(query)}" class="search__input">
    </form>
  </div>
  <div id="links" class="results">
  ${ad}
  ${results}
  <div class="nav-link">
    <form action="/html/" method="post"><input type="submit" class="btn btn--alt" value="Next" /><input type="hidden" name="q" value="${escapeHtml(query)}" /><input type="hidden" name="s" value="10" /></form>
  </div>
  </div>
</body>
</html>`;
}

const DUCK_CHALLENGE = `<!DOCTYPE html><html><head><title>DuckDuckGo</title></head><body>
<div class="anomaly-modal__mask"><div class="anomaly-modal__modal">
<div class="anomaly-modal__title">Unfortunately, bots use DuckDuckGo too.</div>
<form id="challenge-form" action="/anomaly.js" method="POST"><input type="hidden" name="cc" value="botnet"></form>
</div></div></body></html>`;

const perplexityRequest = z.object({
  model: z.string().min(1),
  messages: z.array(z.object({ role: z.enum(["system", "user", "assistant"]), content: z.string() })).min(1),
});

function perplexityBody(query: string, model: string, empty: boolean, citationsOnly: boolean) {
  const hits = empty ? [] : fakeHits(query);
  const body = {
    id: "3c90c3cc-0d44-4b50-8888-8dd25736052a",
    model,
    created: 1767225600,
    usage: { prompt_tokens: 12, completion_tokens: 40, total_tokens: 52, search_context_size: "low" },
    citations: hits.map((h) => h.url),
    search_results: hits.map((h, i) => ({
      title: h.title,
      url: h.url,
      date: "2025-11-02",
      last_updated: "2025-11-20",
      snippet: h.snippet,
      source: "web",
      ...(i === 0 ? { id: 1 } : {}),
    })),
    object: "chat.completion",
    choices: [
      {
        index: 0,
        finish_reason: "stop",
        message: { role: "assistant", content: `<think>planning</think>${query} is explained in detail here [1][2].` },
        delta: { role: "assistant", content: "" },
      },
    ],
  };
  if (!citationsOnly) return body;
  const { search_results: _dropped, ...older } = body;
  return older;
}

function searxBody(query: string, empty: boolean) {
  const hits = empty ? [] : fakeHits(query);
  const results = hits.map((h, i) => ({
    url: h.url,
    title: h.title,
    content: i === 1 ? "Second snippet, with bold in HTML." : h.snippet,
    engine: "duckduckgo",
    parsed_url: ["https", new URL(h.url).hostname, new URL(h.url).pathname, "", "", ""],
    template: "default.html",
    engines: ["duckduckgo", "brave"],
    positions: [i + 1],
    score: 2 / (i + 1),
    category: "general",
    publishedDate: null,
  }));
  // SearXNG merges duplicates, but a repeated URL from a second engine still happens
  if (!empty) results.push({ ...results[0]!, engine: "brave", positions: [9] });
  return {
    query,
    number_of_results: 0,
    results,
    answers: empty ? [] : [{ answer: `${query} answer box`, url: "https://example.com/first", engine: "wikipedia" }],
    corrections: [],
    infoboxes: [],
    suggestions: [`${query} tutorial`],
    unresponsive_engines: [],
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

function errorBody(backend: FakeBackend, status: number, presentedKey: string | undefined) {
  // some services echo what they received; the client must never pass that on
  if (backend === "brave") {
    return {
      type: "ErrorResponse",
      error: { id: "e1", status, code: status === 429 ? "RATE_LIMITED" : "SUBSCRIPTION_TOKEN_INVALID", detail: `token ${presentedKey ?? ""} refused`, meta: {} },
      time: 1767225600,
    };
  }
  return { error: { message: `Invalid API key ${presentedKey ?? ""}`, type: "invalid_request_error", code: status } };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function startSearchFakes(opts: SearchFakesOptions = {}): Promise<SearchFakes> {
  const braveKey = opts.braveKey ?? BRAVE_KEY;
  const perplexityKey = opts.perplexityKey ?? PERPLEXITY_KEY;
  const requests: RecordedSearchRequest[] = [];
  const failures = new Map<FakeBackend, number>();
  let challenge = false;
  let empty = false;
  let citationsOnly = false;

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://fake");
      const body = await readBody(req);
      const backend: FakeBackend | undefined =
        url.pathname === "/res/v1/web/search" ? "brave"
        : url.pathname === "/html/" ? "duckduckgo"
        : url.pathname === "/chat/completions" ? "perplexity"
        : url.pathname === "/search" || url.pathname === "/searx/search" ? "searxng"
        : undefined;
      if (!backend) return json(res, 404, { error: "not found" });
      requests.push({
        backend,
        method: req.method ?? "",
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
        body,
      });
      const failure = failures.get(backend);
      if (failure !== undefined) {
        const key = backend === "brave" ? req.headers["x-subscription-token"] : req.headers.authorization;
        return json(res, failure, errorBody(backend, failure, typeof key === "string" ? key : undefined));
      }
      switch (backend) {
        case "brave": {
          if (req.method !== "GET") return json(res, 405, { error: "method" });
          if (req.headers["x-subscription-token"] !== braveKey) return json(res, 401, errorBody("brave", 401, undefined));
          const q = url.searchParams.get("q");
          if (!q) return json(res, 422, { type: "ErrorResponse", error: { status: 422, code: "VALIDATION", detail: "q required" } });
          const count = Number(url.searchParams.get("count") ?? "20");
          return json(res, 200, braveBody(q, Number.isFinite(count) ? count : 20, empty));
        }
        case "duckduckgo": {
          const q = req.method === "POST" ? new URLSearchParams(body).get("q") : url.searchParams.get("q");
          if (!q) {
            res.writeHead(200, { "content-type": "text/html; charset=UTF-8" });
            return res.end("<html><body>DuckDuckGo home</body></html>");
          }
          res.writeHead(challenge ? 202 : 200, { "content-type": "text/html; charset=UTF-8" });
          return res.end(challenge ? DUCK_CHALLENGE : duckPage(q, empty));
        }
        case "perplexity": {
          if (req.method !== "POST") return json(res, 405, { error: "method" });
          if (req.headers.authorization !== `Bearer ${perplexityKey}`) return json(res, 401, errorBody("perplexity", 401, undefined));
          let parsed;
          try {
            parsed = perplexityRequest.safeParse(JSON.parse(body));
          } catch {
            return json(res, 400, { error: { message: "invalid json", type: "invalid_request_error", code: 400 } });
          }
          if (!parsed.success) return json(res, 400, { error: { message: parsed.error.message, type: "invalid_request_error", code: 400 } });
          const query = parsed.data.messages.filter((m) => m.role === "user").at(-1)?.content ?? "";
          return json(res, 200, perplexityBody(query, parsed.data.model, empty, citationsOnly));
        }
        case "searxng": {
          if (url.searchParams.get("format") !== "json") {
            res.writeHead(403, { "content-type": "text/html" });
            return res.end("<html><body><h1>403 Forbidden</h1></body></html>");
          }
          const q = url.searchParams.get("q");
          if (!q) return json(res, 400, { error: "q required" });
          return json(res, 200, searxBody(q, empty));
        }
      }
    })().catch((err: unknown) => {
      res.writeHead(500);
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    fail(backend, status) {
      if (status === null) failures.delete(backend);
      else failures.set(backend, status);
    },
    duckChallenge(on) {
      challenge = on;
    },
    empty(on) {
      empty = on;
    },
    perplexityCitationsOnly(on) {
      citationsOnly = on;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
