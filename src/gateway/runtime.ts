// Builds the agent runtime from a loaded configuration: model directory,
// router, tools, agent and voice, on a store it opens or is given. The CLI's
// `agent` command uses it for one turn; the gateway daemon builds one per
// config (a reload builds a fresh runtime on the same open store and swaps
// it in) and adds channels, HTTP, cron and heartbeat on top.
import { dirname, join } from "node:path";
import { systemClock, type Clock } from "../core/clock.ts";
import type { Logger } from "../core/logger.ts";
import { Agent } from "../agent/agent.ts";
import { chatModelNames, kvSessionModels } from "../agent/session-model.ts";
import { journaledTools } from "../agent/tool-journal.ts";
import { ensureWorkspace } from "../agent/workspace.ts";
import { agentModelSelection, buildModelDirectory } from "../config/models.ts";
import type { LoadedConfig } from "../config/load.ts";
import { expandHome, type Paths } from "../config/paths.ts";
import { attachExtensions, type Extensions } from "../mcp/extensions.ts";
import { createClientFactory } from "../providers/protocols/factory.ts";
import { createRouter, fileStateStore, sqliteCounters, type RouterCounters, type Router } from "../providers/router/index.ts";
import type { RouterStateStore } from "../providers/router/state-store.ts";
import type { ModelDirectory } from "../providers/types.ts";
import type { StoreBackend } from "../store/backend.ts";
import { openSqliteBackend } from "../store/sqlite-backend.ts";
import { createCronTool } from "../tools/cron-tool.ts";
import { createImageTool } from "../tools/image-tool.ts";
import { createMessageTool } from "../tools/message-tool.ts";
import { createSendFileTool } from "../tools/send-file.ts";
import { ToolRegistry } from "../tools/registry.ts";
import { createWebFetchTool } from "../tools/web-fetch.ts";
import { createWebSearchTool } from "../tools/web-search/index.ts";
import { findGroqApiKey, Transcriber } from "../voice/transcriber.ts";
import { errorMessage } from "../core/errors.ts";

export interface Runtime {
  loaded: LoadedConfig;
  paths: Paths;
  directory: ModelDirectory;
  router: Router;
  store: StoreBackend;
  tools: ToolRegistry;
  agent: Agent;
  transcriber: Transcriber;
  /** MCP servers, skills, memory, exec and file tools */
  extensions: Extensions;
  workspaceDir: string;
  primary: string | undefined;
  fallbacks: string[];
  /** runs when the runtime is closed (tools holding processes or sockets register here) */
  onClose(fn: () => void | Promise<void>): void;
  /** flushes router state and releases what this runtime owns; the store only when it opened it */
  close(): Promise<void>;
}

export interface RuntimeOptions {
  loaded: LoadedConfig;
  paths: Paths;
  logger: Logger;
  clock?: Clock;
  env?: NodeJS.ProcessEnv;
  /** delivers text to a chat; the CLI prints it, the gateway uses the outbox */
  send: (channel: string, chatId: string, text: string) => Promise<void>;
  /** called after the cron tool changed a job (the daemon wakes its scheduler) */
  onCronChange?: () => void;
  /** an open store to build on (the daemon keeps one across reloads); default: open the SQLite file paths.dbFile */
  store?: StoreBackend;
  /** the router's cooldowns, round-robin and rpm windows shared with a fleet (src/gateway/fleet-gateway.ts); default: this state directory's files */
  sharedRouter?: { stateStore: RouterStateStore; counters: RouterCounters };
}

/** What tool factories get: everything a tool may need from the runtime being built. */
export interface ToolSetup {
  config: LoadedConfig["config"];
  router: Router;
  store: StoreBackend;
  workspaceDir: string;
  logger: Logger;
  send: RuntimeOptions["send"];
  onCronChange?: () => void;
  /** register cleanup for the runtime's close (MCP processes, sockets) */
  onClose: (fn: () => void | Promise<void>) => void;
}

/** The one place tools are registered from config; a new kind of tool is one more line here. */
export function registerConfiguredTools(tools: ToolRegistry, t: ToolSetup): void {
  const config = t.config;
  const search = createWebSearchTool(config.tools.web, {});
  if (search) tools.register(search);
  tools.register(createWebFetchTool(config.tools.web.fetch ?? {}, {}));
  tools.register(createCronTool({ store: t.store.cron, ...(t.onCronChange ? { onChange: t.onCronChange } : {}) }));
  tools.register(createMessageTool(config.tools.message ?? {}, { send: t.send }));
  tools.register(createSendFileTool({ workspaceDir: t.workspaceDir }));
  const image = config.agents.defaults.imageGenerationModel;
  // images from the provider's own api_base host and the hosts web_fetch trusts skip the SSRF guard
  const trustedHosts = config.tools.web.fetch?.allow_hosts ?? [];
  if (image?.primary) tools.register(createImageTool({ router: t.router, model: image, workspaceDir: t.workspaceDir, trustedHosts }));
}

export function createRuntime(opts: RuntimeOptions): Runtime {
  const { loaded, paths, logger } = opts;
  const config = loaded.config;
  const env = opts.env ?? process.env;
  const clock = opts.clock ?? systemClock;
  const directory = buildModelDirectory(config, env);
  const { primary, fallbacks } = agentModelSelection(config);
  const router = createRouter({
    directory,
    clientFor: createClientFactory().clientFor,
    defaults: { ...(primary ? { primary } : {}), fallbacks },
    clock,
    logger,
    stateStore: opts.sharedRouter?.stateStore ?? fileStateStore(paths.routerStateFile, { logger }),
    // round-robin and rpm shared with every other process on this state directory (or the fleet)
    counters:
      opts.sharedRouter?.counters ??
      openedOnFirstUse(() =>
        sqliteCounters(join(dirname(paths.routerStateFile), "router.db"), (err) => logger.warn({ err: err.message }, "router counters are per-process: the shared counter file cannot be used")),
      ),
  });
  const ownsStore = !opts.store;
  const store = opts.store ?? openSqliteBackend(paths.dbFile);
  const closers: (() => void | Promise<void>)[] = [];
  const onClose = (fn: () => void | Promise<void>) => void closers.push(fn);
  const workspaceDir = expandHome(config.agents.defaults.workspace ?? paths.workspace);
  ensureWorkspace(workspaceDir);

  const tools = new ToolRegistry();
  registerConfiguredTools(tools, {
    config,
    router,
    store,
    workspaceDir,
    logger,
    send: opts.send,
    onClose,
    ...(opts.onCronChange ? { onCronChange: opts.onCronChange } : {}),
  });
  const extensions = attachExtensions({ config, home: paths.home, workspaceDir, tools, logger, clock, configDir: dirname(paths.configFile) });
  onClose(() => extensions.close()); // MCP server processes end with the runtime (a reload's old one too)

  const transcriber = new Transcriber({
    router,
    directory,
    voice: config.voice ?? {},
    logger,
    ...withGroq(findGroqApiKey(config.providers?.groq?.api_key, directory, env)),
  });

  const agent = new Agent({
    router,
    sessions: store.sessions,
    // a turn's history and its reply are saved in one transaction
    transaction: (fn) => store.transaction(fn),
    // side-effecting tool calls of gateway turns are journaled: a re-run after a crash does not repeat them
    tools: journaledTools(tools, store.journal),
    workspaceDir,
    clock,
    logger,
    maxToolIterations: config.agents.defaults.max_tool_iterations ?? 20,
    ...(config.agents.defaults.max_tokens !== undefined ? { maxTokens: config.agents.defaults.max_tokens } : {}),
    ...(config.agents.defaults.temperature !== undefined ? { temperature: config.agents.defaults.temperature } : {}),
    modelInfo: { ...(primary ? { primary } : {}), fallbacks },
    // /model: a chat's choice among the configured names, kept in the store across restarts
    sessionModels: kvSessionModels(
      store.kv,
      () =>
        chatModelNames(directory.all(), {
          agentModels: [...(primary ? [primary] : []), ...fallbacks],
          otherUses: [config.voice?.model_name, config.agents.defaults.imageGenerationModel?.primary],
        }),
      // one gateway on its own file reads each chat's choice once; a shared PostgreSQL is read every turn
      { cache: store.kind === "sqlite" },
    ),
    contextWindowFor: (entryId: string) => directory.all().find((e) => e.id === entryId)?.contextWindow,
    prompt: { extra: extensions.promptExtra, noSymlinks: extensions.workspaceWritable },
  });

  return {
    loaded,
    paths,
    directory,
    router,
    store,
    tools,
    agent,
    transcriber,
    extensions,
    workspaceDir,
    primary,
    fallbacks,
    onClose,
    close: async () => {
      // a compaction still summarizing is abandoned before its router goes (the history stays, uncompacted)
      await agent.close();
      router.close();
      // later registrations (tools that started processes) are released first
      for (const fn of closers.reverse()) {
        try {
          await fn();
        } catch (err) {
          logger.warn({ err: errorMessage(err) }, "releasing part of the runtime failed");
        }
      }
      if (ownsStore) await store.close();
    },
  };
}

function withGroq(key: string | undefined): { groqApiKey?: string } {
  return key ? { groqApiKey: key } : {};
}

export function defaultDbFile(home: string): string {
  return join(home, "switchboard.db");
}

/**
 * The router's shared counters, opened by the first call that needs them: opening the
 * file (WAL switch, tables) is start-up work /ready does not need. Closing counters
 * that were never opened opens nothing.
 */
function openedOnFirstUse(open: () => RouterCounters): RouterCounters {
  let counters: RouterCounters | undefined;
  const get = () => (counters ??= open());
  return {
    take: (group) => get().take(group),
    peek: (group) => get().peek(group),
    stamps: (entry, since) => get().stamps(entry, since),
    stamp: (entry, at, keep) => get().stamp(entry, at, keep),
    seen: (entry, since) => get().seen(entry, since),
    groups: () => get().groups(),
    close: () => counters?.close(),
  };
}
