// The HTTP API over a real agent: the real router and OpenAI protocol client
// talking to the fake LLM on 127.0.0.1, in-memory sessions, a temp
// workspace. build() gives the fastify app for inject(); listen() binds it
// for the official `openai` client.
import { afterEach } from "vitest";
import { Agent } from "../../src/agent/agent.ts";
import { parseConfigText } from "../../src/config/load.ts";
import { agentModelSelection, buildModelDirectory } from "../../src/config/models.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { buildHttpServer, startHttpServer, type HttpServerOptions, type RunningHttpServer } from "../../src/http/server.ts";
import type { ApiRuntime } from "../../src/http/openai-api.ts";
import { createClientFactory } from "../../src/providers/protocols/factory.ts";
import { createRouter } from "../../src/providers/router/index.ts";
import { ToolRegistry } from "../../src/tools/registry.ts";
import { MemorySessionStore } from "../agent/memory-sessions.ts";
import { tempWorkspace } from "../agent/setup.ts";
import { startFakeLlm, type FakeLlm } from "../fakes/fake-llm.ts";

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

export interface Harness {
  llm: FakeLlm;
  runtime: ApiRuntime;
  sessions: MemorySessionStore;
  tools: ToolRegistry;
  /** the server options the harness builds with (override per test) */
  options(over?: Partial<HttpServerOptions>): HttpServerOptions;
}

export async function harness(opts: { userSessions?: boolean; tools?: ToolRegistry } = {}): Promise<Harness> {
  const llm = await startFakeLlm();
  cleanup.push(() => llm.close());
  const base = `${llm.url}/v1`;
  const { config } = parseConfigText(
    JSON.stringify({
      model_list: [
        { model_name: "fast", model: "openai/fake-fast", api_base: base, api_key: "sk-test-fast" },
        { model_name: "other", model: "openai/fake-other", api_base: base, api_key: "sk-test-other" },
      ],
      agents: { defaults: { model_name: "fast", models: { other: { alias: "second" } } } },
    }),
    { env: {} },
  );
  const directory = buildModelDirectory(config, {});
  const { primary, fallbacks } = agentModelSelection(config, {});
  const router = createRouter({ directory, clientFor: createClientFactory().clientFor, defaults: { ...(primary ? { primary } : {}), fallbacks } });
  const sessions = new MemorySessionStore();
  const tools = opts.tools ?? new ToolRegistry();
  const agent = new Agent({ router, sessions: sessions.async, tools, workspaceDir: tempWorkspace(), logger: silentLogger(), prompt: { timeZone: "UTC" } });
  const runtime: ApiRuntime = { agent, directory, primary, router, userSessions: opts.userSessions === true };
  return {
    llm,
    runtime,
    sessions,
    tools,
    options: (over = {}) => serverOptions({ api: () => runtime, ...over }),
  };
}

/** Server options with fixed health, status and metrics answers, bound to 127.0.0.1:0. */
export function serverOptions(over: Partial<HttpServerOptions> = {}): HttpServerOptions {
  return {
    host: "127.0.0.1",
    port: 0,
    logger: silentLogger(),
    readiness: () => ({ ready: true, detail: { store: "open" } }),
    status: () => ({ version: "test" }),
    metrics: () => "switchboard_up 1\n",
    ...over,
  };
}

export async function built(h: Harness, over: Partial<HttpServerOptions> = {}) {
  const { app } = await buildHttpServer(h.options(over));
  cleanup.push(() => app.close());
  return app;
}

export async function listening(h: Harness, over: Partial<HttpServerOptions> = {}): Promise<RunningHttpServer> {
  const s = await startHttpServer(h.options(over));
  cleanup.push(() => s.close());
  return s;
}

/** The messages the fake LLM received in request n. */
export function sentMessages(llm: FakeLlm, n: number): { role: string; content: unknown }[] {
  const r = llm.requests[n];
  if (!r) throw new Error(`the fake LLM got ${llm.requests.length} requests, not ${n + 1}`);
  return r.body.messages as { role: string; content: unknown }[];
}

/** A promise and its resolver, for holding a fake stream open. */
export function gate(): { open: Promise<void>; release: () => void } {
  let release!: () => void;
  const open = new Promise<void>((r) => (release = r));
  return { open, release };
}
