// The openai SDK's client with one change of how a chat-completions POST is
// built: buildRequest (an override point the SDK documents) hands back the
// URL and headers it built for the client's first such request instead of
// building them again. For a client of one entry and key they never change
// between requests: the Bearer token, the SDK's own x-stainless-* headers,
// the entry's custom headers and content-type. Built afresh, they cost an
// undici Headers merged from six header sets, each name checked against a
// regular expression, a URL parse and a body encoder, on every message
// (bench/turn-calls.ts). The body is serialized with its tool schemas' JSON
// kept from the last request (body-json.ts). Everything else still runs
// through the SDK: sending (its fetch hooks and timeout), mapping HTTP errors
// to its error classes, reading the answer. Any request that is not the plain
// case (a query, per-request headers, a signal or timeout of its own, a
// retry, SDK metadata, a body that is not a plain object) is built by the SDK
// as before.
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

const classes = new WeakMap<OpenAiClass, OpenAiClass>();

/** The SDK's OpenAI class with the reusing buildRequest (one subclass per loaded SDK). */
export function reusingClientClass(Base: OpenAiClass): OpenAiClass {
  let C = classes.get(Base);
  if (C) return C;
  // named as the SDK's class: the SDK sends its class name in user-agent
  C = class OpenAI extends Base {
    #template: Template | undefined;
    #building: Promise<Template> | undefined;

    override buildRequest(options: Options, props: { retryCount?: number } = {}): Promise<Built> {
      if (!isPlain(options, props.retryCount ?? 0)) return super.buildRequest(options, props);
      if (this.#template) return Promise.resolve(this.#fromTemplate(this.#template, options));
      // the first plain request (and, after a failure such as a missing key, the next one) builds the template
      const building = (this.#building ??= this.#build().finally(() => (this.#building = undefined)));
      return building.then((t) => this.#fromTemplate((this.#template = t), options));
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
