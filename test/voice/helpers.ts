// Test scaffolding for voice and image calls until they run against the shared
// fakes: model entries, a directory, a small router with failover, and a
// scriptable OpenAI-compatible server on 127.0.0.1 that records what it got.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  NON_FALLBACK_REASONS,
  ProviderError,
  type CallTarget,
  type ChatRouter,
  type ModelDirectory,
  type ModelEntry,
  type Routed,
} from "../../src/providers/types.ts";
import { parseModelRef, vendor } from "../../src/providers/catalogue.ts";

export function entry(over: Partial<ModelEntry> & { modelName: string; model: string }): ModelEntry {
  const ref = parseModelRef(over.model);
  return {
    id: `${over.modelName}#0`,
    vendor: ref.vendor,
    protocol: "openai",
    modelId: ref.modelId,
    apiBase: vendor(ref.vendor)?.apiBase ?? "",
    apiKeys: [],
    requestTimeoutMs: 10_000,
    enabled: true,
    source: "model_list",
    ...over,
  };
}

export function directoryOf(entries: ModelEntry[]): ModelDirectory {
  return {
    all: () => entries,
    lookup: (ref) => entries.filter((e) => e.modelName === ref || e.model === ref),
  };
}

/** Tries every key of every entry of the model, then the fallbacks, like the router. */
export function miniRouter(directory: ModelDirectory, calls: CallTarget[] = []): Pick<ChatRouter, "call"> {
  return {
    async call<T>(opts: { model?: string; fallbacks?: string[]; signal?: AbortSignal }, fn: (t: CallTarget, s: AbortSignal) => Promise<T>): Promise<Routed<T>> {
      let last: unknown = new Error(`nothing configured for ${opts.model}`);
      for (const ref of [opts.model ?? "", ...(opts.fallbacks ?? [])]) {
        for (const e of directory.lookup(ref)) {
          const keys = e.apiKeys.length > 0 ? e.apiKeys : [undefined];
          for (const [keyIndex, apiKey] of keys.entries()) {
            const target: CallTarget = { entry: e, apiKey, keyIndex };
            calls.push(target);
            try {
              const value = await fn(target, opts.signal ?? new AbortController().signal);
              return { value, target, attempts: [] };
            } catch (err) {
              last = err;
              if (!(err instanceof ProviderError) || NON_FALLBACK_REASONS.has(err.reason)) throw err;
            }
          }
        }
      }
      throw last;
    },
  };
}

export interface Recorded {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: Buffer;
}

export type Reply = { status?: number; json?: unknown; text?: string; body?: Buffer; contentType?: string; headers?: Record<string, string> };

export interface FakeServer {
  url: string;
  requests: Recorded[];
  /** answers by path; default 404 */
  on(path: string, reply: Reply | ((req: Recorded) => Reply)): void;
  close(): Promise<void>;
}

export async function startFakeServer(): Promise<FakeServer> {
  const routes = new Map<string, Reply | ((req: Recorded) => Reply)>();
  const requests: Recorded[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const rec: Recorded = { method: req.method ?? "", path: (req.url ?? "").split("?")[0] ?? "", headers: req.headers, body: Buffer.concat(chunks) };
      requests.push(rec);
      const route = routes.get(rec.path);
      const reply = typeof route === "function" ? route(rec) : (route ?? { status: 404, json: { error: { message: "no route" } } });
      const body = reply.body ?? Buffer.from(reply.json !== undefined ? JSON.stringify(reply.json) : (reply.text ?? ""));
      res.writeHead(reply.status ?? 200, {
        "content-type": reply.contentType ?? (reply.json !== undefined ? "application/json" : "text/plain"),
        ...(reply.headers ?? {}),
      });
      res.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    on: (path, reply) => void routes.set(path, reply),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Parses a recorded multipart body with the platform's own parser. */
export async function formDataOf(rec: Recorded): Promise<FormData> {
  return new Response(rec.body, { headers: { "content-type": String(rec.headers["content-type"]) } }).formData();
}
