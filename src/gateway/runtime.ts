// Builds the agent runtime from a loaded configuration: model directory,
// router, store, tools, agent and voice. The CLI's `agent` command uses it for
// one turn; the gateway daemon adds channels, HTTP, cron and heartbeat on top.
import { dirname, join } from "node:path";
import { systemClock, type Clock } from "../core/clock.ts";
import type { Logger } from "../core/logger.ts";
import { Agent } from "../agent/agent.ts";
import { ensureWorkspace } from "../agent/workspace.ts";
import { agentModelSelection, buildModelDirectory } from "../config/models.ts";
import type { LoadedConfig } from "../config/load.ts";
import { expandHome, type Paths } from "../config/paths.ts";
import { createClientFactory } from "../providers/protocols/factory.ts";
import { createRouter, fileStateStore, sqliteCounters, type Router } from "../providers/router/index.ts";
import type { ModelDirectory } from "../providers/types.ts";
import { openStore, transaction, type Store } from "../store/index.ts";
import { createCronTool } from "../tools/cron-tool.ts";
import { createImageTool } from "../tools/image-tool.ts";
import { createMessageTool } from "../tools/message-tool.ts";
import { ToolRegistry } from "../tools/registry.ts";
import { createWebFetchTool } from "../tools/web-fetch.ts";
import { createWebSearchTool } from "../tools/web-search/index.ts";
import { findGroqApiKey, Transcriber } from "../voice/transcriber.ts";

export interface Runtime {
  loaded: LoadedConfig;
  paths: Paths;
  directory: ModelDirectory;
  router: Router;
  store: Store;
  tools: ToolRegistry;
  agent: Agent;
  transcriber: Transcriber;
  workspaceDir: string;
  primary: string | undefined;
  fallbacks: string[];
  close(): void;
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
    stateStore: fileStateStore(paths.routerStateFile, { logger }),
    // round-robin and rpm shared with every other process on this state directory
    counters: sqliteCounters(join(dirname(paths.routerStateFile), "router.db"), (err) => logger.warn({ err: err.message }, "router counters are per-process: the shared counter file cannot be used")),
  });
  const store = openStore(paths.dbFile);
  const workspaceDir = expandHome(config.agents.defaults.workspace ?? paths.workspace);
  ensureWorkspace(workspaceDir);

  const tools = new ToolRegistry();
  const search = createWebSearchTool(config.tools.web, {});
  if (search) tools.register(search);
  tools.register(createWebFetchTool(config.tools.web.fetch ?? {}, {}));
  tools.register(createCronTool({ store: store.cron, ...(opts.onCronChange ? { onChange: opts.onCronChange } : {}) }));
  tools.register(createMessageTool(config.tools.message ?? {}, { send: opts.send }));
  const image = config.agents.defaults.imageGenerationModel;
  const trustedHosts = config.tools.web.fetch?.allow_hosts ?? [];
  if (image?.primary) tools.register(createImageTool({ router, model: image, workspaceDir, trustedHosts }));

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
    atomically: (fn) => transaction(store.db, fn),
    tools,
    workspaceDir,
    clock,
    logger,
    maxToolIterations: config.agents.defaults.max_tool_iterations ?? 20,
    ...(config.agents.defaults.max_tokens !== undefined ? { maxTokens: config.agents.defaults.max_tokens } : {}),
    ...(config.agents.defaults.temperature !== undefined ? { temperature: config.agents.defaults.temperature } : {}),
    modelInfo: { ...(primary ? { primary } : {}), fallbacks },
    contextWindowFor: (entryId: string) => directory.all().find((e) => e.id === entryId)?.contextWindow,
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
    workspaceDir,
    primary,
    fallbacks,
    close: () => {
      router.close();
      store.close();
    },
  };
}

function withGroq(key: string | undefined): { groqApiKey?: string } {
  return key ? { groqApiKey: key } : {};
}

export function defaultDbFile(home: string): string {
  return join(home, "switchboard.db");
}
