// SearXNG (self-hosted metasearch): GET {base_url}/search?q=...&format=json.
// Hits are in results[] as {title, url, content}; instant answers, when an
// engine gives one, are in answers[] (strings in older releases, objects later).
import { z } from "zod";
import { call, joinUrl, readJson } from "./http.ts";
import { plainText } from "./text.ts";
import type { BackendDeps, SearchBackend, SearchResult } from "./types.ts";

const searxResponse = z.looseObject({
  results: z
    .array(z.looseObject({ url: z.string(), title: z.string().nullish(), content: z.string().nullish() }))
    .default([]),
  answers: z.array(z.unknown()).nullish(),
});

function firstAnswer(answers: readonly unknown[] | null | undefined): string | undefined {
  for (const a of answers ?? []) {
    if (typeof a === "string" && a.trim() !== "") return a.trim();
    if (a && typeof a === "object" && typeof (a as { answer?: unknown }).answer === "string") {
      const text = ((a as { answer: string }).answer).trim();
      if (text !== "") return text;
    }
  }
  return undefined;
}

export function createSearxngBackend(opts: { baseUrl: string; maxResults: number }, deps: BackendDeps): SearchBackend {
  const endpoint = joinUrl(opts.baseUrl, "/search");
  return {
    name: "searxng",
    maxResults: opts.maxResults,
    async search({ query, count, signal }) {
      const params = new URLSearchParams({ q: query, format: "json" });
      const response = await call("searxng", deps.fetch, `${endpoint}?${params}`, {
        headers: { accept: "application/json", "user-agent": deps.userAgent },
        signal,
      });
      const body = await readJson("searxng", response, searxResponse);
      const seen = new Set<string>();
      const results: SearchResult[] = [];
      for (const r of body.results) {
        if (seen.has(r.url)) continue;
        seen.add(r.url);
        results.push({ title: plainText(r.title ?? ""), url: r.url, snippet: plainText(r.content ?? "") });
      }
      const answer = firstAnswer(body.answers);
      return { results: results.slice(0, count), ...(answer ? { answer } : {}) };
    },
  };
}
