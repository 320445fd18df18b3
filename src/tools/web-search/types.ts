// Shapes shared by the web_search backends: the config's `tools.web` section,
// the normalized result, and the backend contract.

export type BackendName = "brave" | "duckduckgo" | "perplexity" | "searxng";

/** Order in which backends are tried when `tools.web.provider` is not set. */
export const AUTO_ORDER: readonly BackendName[] = ["perplexity", "brave", "searxng", "duckduckgo"];

export interface BackendConfig {
  enabled?: boolean;
  api_key?: string;
  /** results returned at most; default 5 */
  max_results?: number;
  /** overrides the service's public address (self-hosting, tests) */
  base_url?: string;
  /** perplexity only: the model; default "sonar" */
  model?: string;
}

/** The config's `tools.web` section (the fetch sub-section belongs to web_fetch). */
export interface WebSearchConfig {
  /** backend to use; when unset, the first enabled of perplexity, brave, searxng, duckduckgo */
  provider?: string;
  brave?: BackendConfig;
  duckduckgo?: BackendConfig;
  perplexity?: BackendConfig;
  searxng?: BackendConfig;
}

/** One search hit, whatever the backend. */
export interface SearchResult {
  title: string;
  url: string;
  snippet: string;
}

export interface SearchOutcome {
  results: SearchResult[];
  /** a synthesized answer, for backends that write one (perplexity) */
  answer?: string;
}

export interface SearchRequest {
  query: string;
  /** results wanted (already capped at the backend's max_results) */
  count: number;
  signal: AbortSignal;
}

export interface SearchBackend {
  readonly name: BackendName;
  readonly maxResults: number;
  search(req: SearchRequest): Promise<SearchOutcome>;
}

/** What every backend factory receives besides its own config section. */
export interface BackendDeps {
  fetch: typeof globalThis.fetch;
  userAgent: string;
}
