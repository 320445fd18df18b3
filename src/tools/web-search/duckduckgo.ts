// DuckDuckGo without a key: POST the query to the HTML endpoint
// (html.duckduckgo.com/html/) and read the result page. Each hit is a
// div.result with an a.result__a title link and a .result__snippet; links go
// through DuckDuckGo's /l/?uddg=<target> redirect, which is unwrapped here.
// Ads (result--ad, y.js links) are dropped.
// linkedom is loaded with the first DuckDuckGo search, not at start
let linkedom: Promise<typeof import("linkedom")> | undefined;
const loadLinkedom = () => (linkedom ??= import("linkedom"));
import { call, joinUrl, SearchBackendError } from "./http.ts";
import type { BackendDeps, SearchBackend, SearchResult } from "./types.ts";

export const DUCKDUCKGO_BASE_URL = "https://html.duckduckgo.com";

function isHttp(url: string): boolean {
  return url.startsWith("http://") || url.startsWith("https://");
}

/** The destination of a result link: unwraps /l/?uddg=..., drops ads and DuckDuckGo's own links. */
export function unwrapDuckLink(href: string | null | undefined): string | null {
  if (!href) return null;
  let url: URL;
  try {
    url = new URL(href, "https://duckduckgo.com/");
  } catch {
    return null;
  }
  if (url.hostname === "duckduckgo.com" || url.hostname.endsWith(".duckduckgo.com")) {
    if (url.pathname !== "/l/") return null;
    const target = url.searchParams.get("uddg");
    return target && isHttp(target) ? target : null;
  }
  return isHttp(url.href) ? url.href : null;
}

/** The little of a linkedom element the parser reads. */
interface ResultElement {
  classList: { contains(name: string): boolean };
  textContent: string | null;
  getAttribute(name: string): string | null;
  querySelector(selector: string): ResultElement | null;
}

const collapse = (s: string | null | undefined) => (s ?? "").replace(/\s+/g, " ").trim();

/** Results of a DuckDuckGo HTML page, in page order. */
export async function parseDuckDuckGoHtml(html: string): Promise<SearchResult[]> {
  const { parseHTML } = await loadLinkedom();
  const { document } = parseHTML(html);
  const results: SearchResult[] = [];
  const seen = new Set<string>();
  const nodes = Array.from(document.querySelectorAll(".result")) as unknown as ResultElement[];
  for (const el of nodes) {
    if (el.classList.contains("result--ad")) continue;
    const link = el.querySelector("a.result__a");
    const url = unwrapDuckLink(link?.getAttribute("href"));
    if (!link || !url || seen.has(url)) continue;
    seen.add(url);
    results.push({
      title: collapse(link.textContent),
      url,
      snippet: collapse(el.querySelector(".result__snippet")?.textContent),
    });
  }
  return results;
}

/** DuckDuckGo answers suspected bots with a 202 and a challenge page instead of results. */
function isChallenge(status: number, html: string): boolean {
  return status === 202 || /anomaly-modal|challenge-form/.test(html);
}

export function createDuckDuckGoBackend(
  opts: { maxResults: number; baseUrl?: string | undefined },
  deps: BackendDeps,
): SearchBackend {
  const endpoint = joinUrl(opts.baseUrl ?? DUCKDUCKGO_BASE_URL, "/html/");
  return {
    name: "duckduckgo",
    maxResults: opts.maxResults,
    async search({ query, count, signal }) {
      const response = await call("duckduckgo", deps.fetch, endpoint, {
        method: "POST",
        headers: {
          accept: "text/html",
          "content-type": "application/x-www-form-urlencoded",
          "user-agent": deps.userAgent,
        },
        body: new URLSearchParams({ q: query, b: "" }).toString(),
        signal,
      });
      const html = await response.text();
      const results = await parseDuckDuckGoHtml(html);
      if (results.length === 0 && isChallenge(response.status, html)) {
        throw new SearchBackendError(
          "duckduckgo",
          `duckduckgo search failed: HTTP ${response.status}: DuckDuckGo answered with a bot check; try again later or configure another backend`,
          response.status,
        );
      }
      return { results: results.slice(0, count) };
    },
  };
}
