// The web_fetch tool: fetch one URL through the SSRF guard and hand the model
// readable text. HTML goes through Readability (over linkedom), plain text
// passes through, JSON is pretty-printed; other content types are refused.
// The body is read up to max_bytes and the text cut at max_chars.
import type { Readability } from "@mozilla/readability";
import { z } from "zod";
import { GuardedFetchError, guardedFetch, type Resolver } from "../net/guarded-fetch.ts";
import { SsrfRefusal } from "../net/ssrf.ts";
import { ToolError, type Tool, type ToolContext } from "./types.ts";

/** The config's `tools.web.fetch` section. */
export interface WebFetchConfig {
  /** bytes of body read at most; default 2 MB */
  max_bytes?: number;
  /** characters of text handed to the model at most; default 20,000 */
  max_chars?: number;
  /** exact host names allowed even though they resolve to private addresses */
  allow_hosts?: string[];
  /** whole-fetch timeout; default 30 s */
  timeout_seconds?: number;
}

export interface WebFetchToolOptions {
  /** name resolution (tests inject a fixed table); default: system DNS */
  resolve?: Resolver;
  userAgent?: string;
}

export const DEFAULT_MAX_BYTES = 2 * 1024 * 1024;
export const DEFAULT_MAX_CHARS = 20_000;
export const DEFAULT_FETCH_TIMEOUT_MS = 30_000;
const DEFAULT_USER_AGENT = "Mozilla/5.0 (compatible; Switchboard/0.1; +https://github.com/switchboard)";

export const webFetchArgs = z.object({
  url: z.string().trim().min(1).describe("The http(s) URL to fetch"),
  max_chars: z
    .number()
    .int()
    .min(100)
    .optional()
    .describe("Return at most this many characters of text (capped by the configured limit)"),
});
export type WebFetchArgs = z.infer<typeof webFetchArgs>;

type Kind = "html" | "text" | "json";

export function createWebFetchTool(config: WebFetchConfig = {}, opts: WebFetchToolOptions = {}): Tool<typeof webFetchArgs> {
  const maxBytes = positive(config.max_bytes, DEFAULT_MAX_BYTES);
  const maxChars = positive(config.max_chars, DEFAULT_MAX_CHARS);
  const timeoutMs =
    config.timeout_seconds === undefined
      ? DEFAULT_FETCH_TIMEOUT_MS
      : positive(config.timeout_seconds * 1000, DEFAULT_FETCH_TIMEOUT_MS);
  const allowHosts = config.allow_hosts ?? [];
  return {
    name: "web_fetch",
    description:
      "Fetch a web page or document by URL and return its readable text (HTML is reduced to the main article; " +
      "plain text and JSON are returned as they are). Private and local network addresses are refused.",
    schema: webFetchArgs,
    timeoutMs: timeoutMs + 5_000,
    async run(args, ctx) {
      const limit = Math.min(args.max_chars ?? maxChars, maxChars);
      return fetchReadable(args.url, ctx, { maxBytes, maxChars: limit, timeoutMs, allowHosts, ...opts });
    },
  };
}

interface FetchSettings extends WebFetchToolOptions {
  maxBytes: number;
  maxChars: number;
  timeoutMs: number;
  allowHosts: string[];
}

async function fetchReadable(url: string, ctx: ToolContext, s: FetchSettings): Promise<string> {
  const timeout = AbortSignal.timeout(s.timeoutMs);
  const signal = AbortSignal.any([ctx.signal, timeout]);
  let closer: (() => Promise<void>) | undefined;
  try {
    const res = await guardedFetch(url, {
      allowHosts: s.allowHosts,
      ...(s.resolve ? { resolve: s.resolve } : {}),
      signal,
      headers: {
        "user-agent": s.userAgent ?? DEFAULT_USER_AGENT,
        accept: "text/html,application/xhtml+xml,text/plain;q=0.9,application/json;q=0.9,*/*;q=0.5",
      },
    });
    closer = res.close;
    const { response } = res;
    if (!response.ok) {
      throw new ToolError(`HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ""} from ${res.url}`);
    }
    const contentType = response.headers.get("content-type") ?? "";
    let kind = kindOf(contentType);
    if (kind === "refuse") {
      throw new ToolError(
        `refused: ${res.url} is ${mimeOf(contentType)}, which web_fetch cannot read (it reads HTML, plain text and JSON)`,
      );
    }
    const body = await readCapped(response.body, s.maxBytes);
    const text = decode(body.bytes, contentType);
    if (kind === "sniff") kind = sniff(text);
    if (kind === "refuse") throw new ToolError(`refused: ${res.url} does not look like text (no content type given)`);
    ctx.logger.debug({ url: res.url, bytes: body.bytes.length, kind }, "web_fetch");
    return await render(res.url, kind, text, body.truncated, s);
  } catch (err) {
    throw toToolError(err, url, ctx, timeout, s.timeoutMs);
  } finally {
    await closer?.().catch(() => {});
  }
}

function toToolError(err: unknown, url: string, ctx: ToolContext, timeout: AbortSignal, timeoutMs: number): unknown {
  if (err instanceof ToolError) return err;
  if (err instanceof SsrfRefusal || err instanceof GuardedFetchError) return new ToolError(err.message);
  if (ctx.signal.aborted) return err; // the turn was cancelled: not the model's business
  if (timeout.aborted) return new ToolError(`timed out after ${Number((timeoutMs / 1000).toFixed(1))} s fetching ${url}`);
  const cause = (err as { cause?: { code?: unknown; message?: unknown } }).cause;
  const detail = typeof cause?.code === "string" ? cause.code : typeof cause?.message === "string" ? cause.message : String(err);
  return new ToolError(`could not fetch ${url}: ${detail}`);
}

function positive(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? Math.floor(value) : fallback;
}

function mimeOf(contentType: string): string {
  return (contentType.split(";")[0] ?? "").trim().toLowerCase();
}

function kindOf(contentType: string): Kind | "refuse" | "sniff" {
  const mime = mimeOf(contentType);
  if (mime === "") return "sniff";
  if (mime === "text/html" || mime === "application/xhtml+xml") return "html";
  if (mime === "application/json" || mime.endsWith("+json")) return "json";
  if (mime.startsWith("text/")) return "text";
  if (mime === "application/xml" || mime.endsWith("+xml")) return "text";
  return "refuse";
}

function sniff(text: string): Kind | "refuse" {
  const head = text.slice(0, 512).trimStart().toLowerCase();
  if (head.startsWith("<!doctype html") || head.startsWith("<html")) return "html";
  if (head.startsWith("{") || head.startsWith("[")) return "json";
  return text.slice(0, 4096).includes("\u0000") ? "refuse" : "text";
}

/** Reads a body up to `maxBytes`, then stops (the rest is never downloaded). */
export async function readCapped(
  body: ReadableStream<Uint8Array> | null,
  maxBytes: number,
): Promise<{ bytes: Uint8Array; truncated: boolean }> {
  if (!body) return { bytes: new Uint8Array(0), truncated: false };
  const chunks: Uint8Array[] = [];
  let total = 0;
  let truncated = false;
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const room = maxBytes - total;
      if (value.length > room) {
        chunks.push(value.subarray(0, room));
        total += room;
        truncated = true;
        break;
      }
      chunks.push(value);
      total += value.length;
    }
  } finally {
    if (truncated) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
  return { bytes: Buffer.concat(chunks, total), truncated };
}

function decode(bytes: Uint8Array, contentType: string): string {
  const label =
    /charset\s*=\s*"?([\w.:-]+)/i.exec(contentType)?.[1] ??
    /<meta[^>]+charset\s*=\s*["']?([\w.:-]+)/i.exec(Buffer.from(bytes.subarray(0, 2048)).toString("latin1"))?.[1] ??
    "utf-8";
  try {
    return new TextDecoder(label).decode(bytes);
  } catch {
    return new TextDecoder("utf-8").decode(bytes);
  }
}

async function render(url: string, kind: Kind, raw: string, bytesTruncated: boolean, s: FetchSettings): Promise<string> {
  let title = "";
  let text: string;
  if (kind === "html") ({ title, text } = await extractReadable(raw));
  else if (kind === "json") text = prettyJson(raw);
  else text = raw.replace(/\r\n?/g, "\n").trim();
  const notes: string[] = [];
  if (bytesTruncated) notes.push(`[the response was larger than ${s.maxBytes} bytes; only the first ${s.maxBytes} were read]`);
  if (text.length > s.maxChars) {
    notes.push(`[truncated: showing the first ${s.maxChars} of ${text.length} characters]`);
    text = text.slice(0, s.maxChars);
  }
  const head = [`URL: ${url}`, ...(title ? [`Title: ${title}`] : [])].join("\n");
  return [head, text || "(no text content)", ...notes].join("\n\n");
}

function prettyJson(raw: string): string {
  try {
    return JSON.stringify(JSON.parse(raw), null, 2);
  } catch {
    return raw.trim(); // truncated or malformed JSON: show it as it came
  }
}

/** The little of a DOM node the text walker reads (linkedom's nodes satisfy it). */
interface TextNode {
  nodeType: number;
  textContent: string | null;
  tagName?: string;
  childNodes: ArrayLike<TextNode>;
}

type ReadabilityDocument = ConstructorParameters<typeof Readability>[0];

// linkedom and Readability take about half a second to load: only when a page is fetched
let dom: Promise<[typeof import("linkedom"), typeof import("@mozilla/readability")]> | undefined;
const loadDom = () => (dom ??= Promise.all([import("linkedom"), import("@mozilla/readability")]));

/** Title and readable text of an HTML page: the Readability article, else the body text. */
export async function extractReadable(html: string): Promise<{ title: string; text: string }> {
  const [{ parseHTML }, { Readability }] = await loadDom();
  const { document } = parseHTML(html);
  const pageTitle = collapse(document.querySelector("title")?.textContent ?? "");
  let article: { title?: string | null; content?: TextNode | null } | null = null;
  try {
    // the serializer hands back the article's root node itself: no HTML round trip
    article = new Readability<TextNode>(document as ReadabilityDocument, {
      serializer: (node) => node as unknown as TextNode,
    }).parse();
  } catch {
    article = null;
  }
  if (article?.content) {
    const text = htmlToText(article.content);
    if (text !== "") return { title: collapse(article.title ?? "") || pageTitle, text };
  }
  const { document: fresh } = parseHTML(html);
  const body = fresh.body as unknown as TextNode | null;
  return { title: pageTitle, text: body ? htmlToText(body) : "" };
}

const SKIP = new Set(["SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE", "SVG", "IFRAME", "HEAD", "CANVAS", "OBJECT", "BUTTON", "FORM"]);
/** block elements whose neighbours sit on the next line rather than after a blank line */
const TIGHT = new Set(["LI", "TR", "DT", "DD"]);
const BLOCK = new Set([
  "ADDRESS", "ARTICLE", "ASIDE", "BLOCKQUOTE", "DD", "DIV", "DL", "DT", "FIGCAPTION", "FIGURE", "FOOTER",
  "HEADER", "HR", "LI", "MAIN", "NAV", "OL", "P", "PRE", "SECTION", "TABLE", "TR", "UL", "H1", "H2", "H3", "H4", "H5", "H6",
]);

/** Text of an element with block structure kept as line breaks, headings marked with #, list items with -. */
export function htmlToText(root: TextNode): string {
  const out: string[] = [];
  let pending = 0; // line breaks owed before the next visible text
  const emit = (text: string): void => {
    if (pending > 0 && out.length > 0) out.push("\n".repeat(pending));
    pending = 0;
    out.push(text);
  };
  const walk = (node: TextNode, pre: boolean): void => {
    if (node.nodeType === 3) {
      const value = node.textContent ?? "";
      // inside <pre>, spaces and tabs are shielded from the whitespace clean-up below
      if (pre) emit(value.replace(/ /g, "\uE000").replace(/\t/g, "\uE001"));
      else if (value.trim() !== "") emit(value.replace(/\s+/g, " "));
      else if (pending === 0) out.push(" ");
      return;
    }
    if (node.nodeType !== 1) return;
    const tag = (node.tagName ?? "").toUpperCase();
    if (SKIP.has(tag)) return;
    if (tag === "BR") {
      pending = Math.max(pending, 1);
      return;
    }
    const breaks = BLOCK.has(tag) ? (TIGHT.has(tag) ? 1 : 2) : 0;
    pending = Math.max(pending, breaks);
    const heading = /^H([1-6])$/.exec(tag);
    if (heading) emit(`${"#".repeat(Number(heading[1]))} `);
    if (tag === "LI") emit("- ");
    if (tag === "TD" || tag === "TH") emit(" | ");
    for (const child of Array.from(node.childNodes)) walk(child, pre || tag === "PRE");
    pending = Math.max(pending, breaks);
  };
  walk(root, false);
  return out
    .join("")
    .split("\n")
    .map((line) => line.replace(/[ \t]+/g, " ").trim())
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim()
    .replace(/\uE000/g, " ")
    .replace(/\uE001/g, "\t");
}

function collapse(s: string): string {
  return s.replace(/\s+/g, " ").trim();
}
