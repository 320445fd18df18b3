// Brave Search API: GET /res/v1/web/search with the X-Subscription-Token header;
// hits are in web.results[] as {title, url, description} (description carries
// <strong> highlights).
import { z } from "zod";
import { call, joinUrl, readJson } from "./http.ts";
import { plainText } from "./text.ts";
import type { BackendDeps, SearchBackend, SearchResult } from "./types.ts";

export const BRAVE_BASE_URL = "https://api.search.brave.com";

const braveResponse = z.looseObject({
  web: z
    .looseObject({
      results: z
        .array(z.looseObject({ title: z.string().nullish(), url: z.string(), description: z.string().nullish() }))
        .default([]),
    })
    .nullish(),
});

export function createBraveBackend(
  opts: { apiKey: string; maxResults: number; baseUrl?: string | undefined },
  deps: BackendDeps,
): SearchBackend {
  const endpoint = joinUrl(opts.baseUrl ?? BRAVE_BASE_URL, "/res/v1/web/search");
  return {
    name: "brave",
    maxResults: opts.maxResults,
    async search({ query, count, signal }) {
      const params = new URLSearchParams({ q: query, count: String(Math.min(count, 20)) });
      const response = await call("brave", deps.fetch, `${endpoint}?${params}`, {
        headers: {
          accept: "application/json",
          "x-subscription-token": opts.apiKey,
          "user-agent": deps.userAgent,
        },
        signal,
      });
      const body = await readJson("brave", response, braveResponse);
      const results: SearchResult[] = (body.web?.results ?? []).map((r) => ({
        title: plainText(r.title ?? ""),
        url: r.url,
        snippet: plainText(r.description ?? ""),
      }));
      return { results: results.slice(0, count) };
    },
  };
}
