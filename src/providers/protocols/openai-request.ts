// The openai SDK's client with two changes for a chat-completions POST.
//
// buildRequest (an override point the SDK documents) hands back the URL and
// headers it built for the client's first such request instead of building
// them again. For a client of one entry and key they never change between
// requests: the Bearer token, the SDK's own x-stainless-* headers, the entry's
// custom headers and content-type. Built afresh, they cost an undici Headers
// merged from six header sets, each name checked against a regular
// expression, a URL parse and a body encoder, on every message
// (bench/turn-calls.ts). The body is serialized with its tool schemas' JSON
// kept from the last request (body-json.ts). Any request that is not the plain
// case (a query, per-request headers, a signal or timeout of its own, a
// retry, SDK metadata, a body that is not a plain object) is built by the SDK
// as before.
//
// sendChat sends the daemon's own plain POST with that template straight
// through the client's fetch, doing what the SDK's makeRequest does for it
// with retries off and no auth hooks: the timeout until the answer's headers,
// an HTTP error mapped by the SDK's own makeStatusError, a failed connection
// as its APIConnectionError / APIConnectionTimeoutError, a JSON answer parsed
// as its response parser does. What it leaves out is the SDK's per-request
// bookkeeping that the gateway never reads: its log lines (built and formatted
// on every call whatever the log level: the answer's URL parsed twice and its
// headers copied and redacted), retry planning and four more awaits. Profiled
// over a burst, that was ~40 % of the model call's CPU outside the socket.
import { errorMessage } from "../../core/errors.ts";
import { bodyJson } from "./body-json.ts";

type OpenAiModule = typeof import("openai");
type OpenAiClass = OpenAiModule["OpenAI"];
type BuildRequest = InstanceType<OpenAiClass>["buildRequest"];
type Options = Parameters<BuildRequest>[0];
type Built = Awaited<ReturnType<BuildRequest>>;

/** what a plain chat-completions POST shares with every other one of its client */
interface Template {
  url: string;
  /** the SDK's headers as a plain, frozen object (the transports read a plain object fastest) */
  headers: Readonly<Record<string, string>>;
  timeout: number;
}

const PATH = "/chat/completions";
/** the fields a plain POST carries: anything else sends it down the SDK's own path */
const PLAIN_FIELDS = new Set(["method", "path", "body", "stream", "fetchOptions"]);

function isPlain(options: Options, retryCount: number): boolean {
  if (retryCount !== 0 || options.method !== "post" || options.path !== PATH) return false;
  for (const k in options) if (!PLAIN_FIELDS.has(k) && (options as Record<string, unknown>)[k] !== undefined) return false;
  const body = options.body;
  return body !== null && typeof body === "object" && Object.getPrototypeOf(body) === Object.prototype;
}

/** The SDK's client with the reusing buildRequest and sendChat. */
export type ReusingClient = InstanceType<OpenAiClass> & {
  /**
   * POST /chat/completions with the client's template (`body` carries its
   * own `stream` flag): the parsed JSON answer, or (`stream`) the answer
   * itself once its headers arrived.
   * `cancel` aborts the call (LeanInit.cancel) and is not composed with the
   * timeout's signal. Throws what the SDK's post would throw.
   */
  sendChat(body: Record<string, unknown>, stream: boolean, cancel: AbortSignal | undefined): Promise<unknown>;
};
type ReusingClass = new (...args: ConstructorParameters<OpenAiClass>) => ReusingClient;

const classes = new WeakMap<OpenAiClass, ReusingClass>();

/** The SDK's OpenAI class with the reusing buildRequest and sendChat (one subclass per loaded SDK). */
export function reusingClientClass(Base: OpenAiClass): ReusingClass {
  let C = classes.get(Base);
  if (C) return C;
  // named as the SDK's class: the SDK sends its class name in user-agent
  C = class OpenAI extends Base {
    #template: Template | undefined;
    #building: Promise<Template> | undefined;

    override buildRequest(options: Options, props: { retryCount?: number } = {}): Promise<Built> {
      if (!isPlain(options, props.retryCount ?? 0)) return super.buildRequest(options, props);
      // the first plain request (and, after a failure such as a missing key, the next one) builds the template
      return Promise.resolve(this.#templateNow()).then((t) => this.#fromTemplate(t, options));
    }

    #templateNow(): Template | Promise<Template> {
      return this.#template ?? (this.#building ??= this.#build().finally(() => (this.#building = undefined))).then((t) => (this.#template = t));
    }

    async sendChat(body: Record<string, unknown>, stream: boolean, cancel: AbortSignal | undefined): Promise<unknown> {
      const t = this.#template ?? (await this.#templateNow());
      const init = { method: "POST", headers: t.headers, body: bodyJson(body), ...(this.fetchOptions ?? {}) };
      const res = await this.#fetchWithin(t, init as RequestInit, cancel);
      if (!res.ok) throw await this.#statusError(res);
      return stream ? res : answerJson(res);
    }

    /** the fetch, timed out as the SDK times it out (until the answer's headers) */
    async #fetchWithin(t: Template, init: RequestInit & { cancel?: AbortSignal }, cancel: AbortSignal | undefined): Promise<Response> {
      if (cancel?.aborted) throw new Base.APIUserAbortError();
      const timeout = new AbortController();
      const timer = setTimeout(() => timeout.abort(), t.timeout);
      try {
        // the fetch the client was given (the SDK keeps it as a private field; its makeRequest calls the same)
        return await (this as unknown as { fetch: typeof fetch }).fetch(t.url, { ...init, signal: timeout.signal, ...(cancel ? { cancel } : {}) } as RequestInit);
      } catch (err) {
        // the caller's cancel is told apart by its signal (sdkFailure), as with the SDK's own path
        if (timeout.signal.aborted) throw new Base.APIConnectionTimeoutError();
        throw new Base.APIConnectionError({ cause: err as Error });
      } finally {
        clearTimeout(timer);
      }
    }

    /** an error answer as the SDK's error class, read as makeRequest reads it */
    async #statusError(res: Response): Promise<Error> {
      const text = await res.text().catch(errorMessage);
      const json = safeJson(text);
      return this.makeStatusError(res.status, json as object, json ? undefined : text, res.headers);
    }

    /** the SDK builds one plain request: its URL, headers and timeout are the template */
    async #build(): Promise<Template> {
      const built = await super.buildRequest({ method: "post", path: PATH, body: {} });
      const headers: Record<string, string> = {};
      new Headers(built.req.headers as ConstructorParameters<typeof Headers>[0]).forEach((v, k) => (headers[k] = v));
      return { url: built.url, headers: Object.freeze(headers), timeout: built.timeout };
    }

    #fromTemplate(t: Template, options: Options): Built {
      const req = {
        method: "post",
        headers: t.headers,
        body: bodyJson(options.body as Record<string, unknown>),
        ...(this.fetchOptions ?? {}),
        ...(options.fetchOptions ?? {}),
      };
      return { req: req as Built["req"], url: t.url, timeout: t.timeout };
    }
  };
  classes.set(Base, C);
  return C;
}

/** a successful answer's body as the SDK's response parser reads it: JSON when it says so, else its text */
async function answerJson(res: Response): Promise<unknown> {
  if (res.status === 204) return null;
  const mediaType = res.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase();
  if (!(mediaType?.includes("application/json") || mediaType?.endsWith("+json"))) return res.text();
  if (res.headers.get("content-length") === "0") return undefined;
  const text = await res.text();
  return text ? JSON.parse(text) : undefined;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
