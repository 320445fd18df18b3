// The HTTP plumbing the search backends share: one call, its failure turned
// into a sentence naming the backend and the HTTP status (never a key), and
// JSON bodies validated with zod.
import type { z } from "zod";
import type { BackendName } from "./types.ts";

/** A backend failure the model should read. The message never holds credentials. */
export class SearchBackendError extends Error {
  readonly backend: BackendName;
  readonly status: number | undefined;
  constructor(backend: BackendName, message: string, status?: number) {
    super(message);
    this.name = "SearchBackendError";
    this.backend = backend;
    this.status = status;
  }
}

function hint(backend: BackendName, status: number): string {
  if (status === 401 || status === 403) {
    if (backend === "brave" || backend === "perplexity") {
      return `the API key was rejected (check tools.web.${backend}.api_key)`;
    }
    if (backend === "searxng") return "is the json format enabled in SearXNG's settings.yml (search.formats)?";
    return "the service refused the request";
  }
  if (status === 404) return `check tools.web.${backend}.base_url`;
  if (status === 429) return "rate limited; try again later";
  if (status === 402) return "the account has no credit left";
  if (status >= 500) return "the service had an error; try again later";
  return "the request was not accepted";
}

/** Sends one request; throws SearchBackendError on a non-2xx status. */
export async function call(
  backend: BackendName,
  fetchFn: typeof globalThis.fetch,
  url: string,
  init: RequestInit,
): Promise<Response> {
  const response = await fetchFn(url, init);
  if (!response.ok) {
    await response.body?.cancel().catch(() => {});
    const text = response.statusText ? ` ${response.statusText}` : "";
    throw new SearchBackendError(
      backend,
      `${backend} search failed: HTTP ${response.status}${text}: ${hint(backend, response.status)}`,
      response.status,
    );
  }
  return response;
}

/** Reads and validates a JSON body. */
export async function readJson<S extends z.ZodType>(backend: BackendName, response: Response, schema: S): Promise<z.infer<S>> {
  let data: unknown;
  try {
    data = await response.json();
  } catch {
    throw new SearchBackendError(backend, `${backend} search failed: the response was not JSON`, response.status);
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    const where = parsed.error.issues[0]?.path.join(".") || "(root)";
    throw new SearchBackendError(
      backend,
      `${backend} search failed: unexpected response shape (at ${where})`,
      response.status,
    );
  }
  return parsed.data;
}

/** Removes every occurrence of the given secrets from a message. */
export function redact(message: string, secrets: readonly (string | undefined)[]): string {
  let out = message;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join("[redacted]");
  }
  return out;
}

/** `base` without trailing slashes, then `path`. */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, "")}${path}`;
}
