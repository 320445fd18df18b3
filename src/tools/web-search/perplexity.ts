// Perplexity Sonar: POST /chat/completions (OpenAI-style) with a bearer key.
// The answer is choices[0].message.content; the sources are search_results[]
// ({title, url, snippet, date}) or, from older responses, citations[] (URLs).
import { z } from "zod";
import { call, joinUrl, readJson } from "./http.ts";
import { plainText } from "./text.ts";
import type { BackendDeps, SearchBackend, SearchResult } from "./types.ts";

export const PERPLEXITY_BASE_URL = "https://api.perplexity.ai";
export const PERPLEXITY_DEFAULT_MODEL = "sonar";

const perplexityResponse = z.looseObject({
  choices: z
    .array(z.looseObject({ message: z.looseObject({ content: z.string().nullish() }) }))
    .min(1),
  citations: z.array(z.string()).nullish(),
  search_results: z
    .array(z.looseObject({ title: z.string().nullish(), url: z.string(), snippet: z.string().nullish() }))
    .nullish(),
});

const SYSTEM_PROMPT =
  "You are a search engine. Answer the query concisely from current web sources and cite them with [n] markers.";

function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return url;
  }
}

export function createPerplexityBackend(
  opts: { apiKey: string; maxResults: number; baseUrl?: string | undefined; model?: string | undefined },
  deps: BackendDeps,
): SearchBackend {
  const endpoint = joinUrl(opts.baseUrl ?? PERPLEXITY_BASE_URL, "/chat/completions");
  return {
    name: "perplexity",
    maxResults: opts.maxResults,
    async search({ query, count, signal }) {
      const response = await call("perplexity", deps.fetch, endpoint, {
        method: "POST",
        headers: {
          accept: "application/json",
          "content-type": "application/json",
          authorization: `Bearer ${opts.apiKey}`,
          "user-agent": deps.userAgent,
        },
        body: JSON.stringify({
          model: opts.model ?? PERPLEXITY_DEFAULT_MODEL,
          messages: [
            { role: "system", content: SYSTEM_PROMPT },
            { role: "user", content: query },
          ],
        }),
        signal,
      });
      const body = await readJson("perplexity", response, perplexityResponse);
      // reasoning models prefix their answer with a <think> block the model does not need
      const answer = (body.choices[0]?.message.content ?? "").replace(/<think>[\s\S]*?<\/think>/g, "").trim();
      const results: SearchResult[] =
        body.search_results && body.search_results.length > 0
          ? body.search_results.map((r) => ({
              title: plainText(r.title ?? "") || hostOf(r.url),
              url: r.url,
              snippet: plainText(r.snippet ?? ""),
            }))
          : (body.citations ?? []).map((url) => ({ title: hostOf(url), url, snippet: "" }));
      return { results: results.slice(0, count), ...(answer ? { answer } : {}) };
    },
  };
}
