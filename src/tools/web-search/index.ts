// The web_search tool: one query to the selected backend (see select.ts),
// results normalized to {title, url, snippet} and rendered as compact
// numbered text. Backends call the fixed API hosts the owner configured
// directly (not through the SSRF guard), with a timeout.
import { z } from "zod";
import { silentLogger, type Logger } from "../../core/logger.ts";
import { ToolError, type Tool } from "../types.ts";
import { redact, SearchBackendError } from "./http.ts";
import { selectBackend } from "./select.ts";
import { renderOutcome } from "./text.ts";
import type { BackendName, WebSearchConfig } from "./types.ts";
import { errorMessage } from "../../core/errors.ts";

export type { BackendConfig, BackendName, SearchResult, WebSearchConfig } from "./types.ts";
export { parseDuckDuckGoHtml, unwrapDuckLink } from "./duckduckgo.ts";
export { selectBackend } from "./select.ts";

export interface WebSearchToolOptions {
  logger?: Logger;
  /** per-search timeout; default 15 s */
  timeoutMs?: number;
  /** HTTP client; default the global fetch */
  fetch?: typeof globalThis.fetch;
  userAgent?: string;
}

export const DEFAULT_SEARCH_TIMEOUT_MS = 15_000;
const DEFAULT_USER_AGENT =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";

export const webSearchArgs = z.object({
  query: z.string().trim().min(1).max(500).describe("What to search the web for"),
  count: z.number().int().min(1).max(20).optional().describe("How many results to return (capped by the configured maximum)"),
});
export type WebSearchArgs = z.infer<typeof webSearchArgs>;

export interface WebSearchTool extends Tool<typeof webSearchArgs> {
  /** the backend every call goes to */
  readonly backend: BackendName;
}

/**
 * The web_search tool for the config's `tools.web` section, or null when no
 * backend is enabled and usable (the reason is logged).
 */
export function createWebSearchTool(webConfig: WebSearchConfig = {}, opts: WebSearchToolOptions = {}): WebSearchTool | null {
  const logger = opts.logger ?? silentLogger();
  const timeoutMs = opts.timeoutMs ?? DEFAULT_SEARCH_TIMEOUT_MS;
  const backend = selectBackend(
    webConfig,
    { fetch: opts.fetch ?? globalThis.fetch, userAgent: opts.userAgent ?? DEFAULT_USER_AGENT },
    logger,
  );
  if (!backend) {
    logger.warn("web_search is off: no search backend is enabled and configured (see tools.web)");
    return null;
  }
  const secrets = [webConfig.brave?.api_key, webConfig.perplexity?.api_key];
  logger.debug({ backend: backend.name }, "web_search backend selected");
  return {
    name: "web_search",
    backend: backend.name,
    description:
      "Search the web. Returns a numbered list of results (title, URL, snippet)" +
      (backend.name === "perplexity" ? " preceded by a short synthesized answer" : "") +
      ". Use web_fetch to read a result in full.",
    schema: webSearchArgs,
    timeoutMs: timeoutMs + 5_000,
    async run(args, ctx) {
      const count = Math.min(args.count ?? backend.maxResults, backend.maxResults);
      const timeout = AbortSignal.timeout(timeoutMs);
      const signal = AbortSignal.any([ctx.signal, timeout]);
      try {
        const outcome = await backend.search({ query: args.query, count, signal });
        return renderOutcome(args.query, backend.name, outcome);
      } catch (err) {
        if (err instanceof SearchBackendError) throw new ToolError(redact(err.message, secrets));
        if (ctx.signal.aborted) throw err;
        if (timeout.aborted) throw new ToolError(`${backend.name} search timed out after ${Number((timeoutMs / 1000).toFixed(1))} s`);
        const cause = (err as { cause?: { code?: unknown } }).cause;
        const detail = typeof cause?.code === "string" ? cause.code : errorMessage(err);
        throw new ToolError(redact(`${backend.name} search failed: ${detail}`, secrets));
      }
    },
  };
}
