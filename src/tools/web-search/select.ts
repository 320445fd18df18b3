// Which backend web_search uses: `tools.web.provider` when it names a usable
// backend, otherwise the first enabled of perplexity, brave, searxng,
// duckduckgo. An enabled backend that lacks what it needs (api_key, base_url)
// is skipped with a warning that names the key to set, never its value.
import type { Logger } from "../../core/logger.ts";
import { createBraveBackend } from "./brave.ts";
import { createDuckDuckGoBackend } from "./duckduckgo.ts";
import { createPerplexityBackend } from "./perplexity.ts";
import { createSearxngBackend } from "./searxng.ts";
import { AUTO_ORDER, type BackendConfig, type BackendDeps, type BackendName, type SearchBackend, type WebSearchConfig } from "./types.ts";

export const DEFAULT_MAX_RESULTS = 5;
const MAX_RESULTS_CEILING = 20;

export function isBackendName(name: string): name is BackendName {
  return (AUTO_ORDER as readonly string[]).includes(name);
}

/** max_results as a whole number in 1..20; default 5. */
export function maxResultsOf(cfg: BackendConfig): number {
  const n = cfg.max_results;
  if (n === undefined || !Number.isFinite(n) || n < 1) return DEFAULT_MAX_RESULTS;
  return Math.min(Math.floor(n), MAX_RESULTS_CEILING);
}

function validBaseUrl(raw: string | undefined): string | undefined | null {
  const value = raw?.trim();
  if (!value) return undefined;
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:" ? value : null;
  } catch {
    return null;
  }
}

/** The backend a config section describes, or a sentence saying what it lacks. */
export function buildBackend(name: BackendName, cfg: BackendConfig, deps: BackendDeps): SearchBackend | string {
  const baseUrl = validBaseUrl(cfg.base_url);
  if (baseUrl === null) return `has an invalid base_url (set tools.web.${name}.base_url to an http(s) URL)`;
  const apiKey = cfg.api_key?.trim() ?? "";
  const maxResults = maxResultsOf(cfg);
  switch (name) {
    case "brave":
      if (!apiKey) return "has no api_key (set tools.web.brave.api_key)";
      return createBraveBackend({ apiKey, maxResults, baseUrl }, deps);
    case "perplexity":
      if (!apiKey) return "has no api_key (set tools.web.perplexity.api_key)";
      return createPerplexityBackend({ apiKey, maxResults, baseUrl, model: cfg.model?.trim() || undefined }, deps);
    case "searxng":
      if (!baseUrl) return "has no base_url (set tools.web.searxng.base_url to your SearXNG instance)";
      return createSearxngBackend({ baseUrl, maxResults }, deps);
    case "duckduckgo":
      return createDuckDuckGoBackend({ maxResults, baseUrl }, deps);
  }
}

/** Picks the backend for web_search, or null when none is usable. */
export function selectBackend(cfg: WebSearchConfig, deps: BackendDeps, logger: Logger): SearchBackend | null {
  const provider = cfg.provider?.trim().toLowerCase();
  if (provider) {
    if (!isBackendName(provider)) {
      logger.warn(
        `tools.web.provider "${provider}" is not a search backend (use one of ${AUTO_ORDER.join(", ")}); choosing one automatically`,
      );
    } else {
      const built = buildBackend(provider, cfg[provider] ?? {}, deps);
      if (typeof built !== "string") return built;
      logger.warn(`web search: ${provider} is chosen by tools.web.provider but ${built}; choosing another automatically`);
    }
  }
  for (const name of AUTO_ORDER) {
    const section = cfg[name];
    if (section?.enabled !== true || name === provider) continue;
    const built = buildBackend(name, section, deps);
    if (typeof built !== "string") return built;
    logger.warn(`web search: ${name} is enabled but ${built}; skipping it`);
  }
  return null;
}
