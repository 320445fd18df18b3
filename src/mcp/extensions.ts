// The tools that come from outside the code: MCP servers, skills, the
// memory tools, and (when the owner turns them on) exec and the file tools.
// The runtime calls attachExtensions once; everything it adds to the tool
// registry is described here, so runtime.ts needs one line.
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/logger.ts";
import { expandHome } from "../config/paths.ts";
import type { SwitchboardConfig } from "../config/schema.ts";
import { join } from "node:path";
import { SkillCatalog, skillDirs } from "../skills/loader.ts";
import { createExecTool } from "../tools/exec.ts";
import { createFileTools } from "../tools/files.ts";
import { createMemorySearchTool, createMemoryWriteTool } from "../tools/memory.ts";
import type { ToolRegistry } from "../tools/registry.ts";
import { createSkillTool } from "../tools/skill.ts";
import { mcpServerSpecs } from "./config.ts";
import { McpManager } from "./manager.ts";

export interface ExtensionsOptions {
  config: SwitchboardConfig;
  /** the state directory (<state>/skills is the global skills folder) */
  home: string;
  workspaceDir: string;
  tools: ToolRegistry;
  logger: Logger;
  clock: Clock;
  /** the folder the config file is in: relative MCP cwd and env_file paths start there */
  configDir?: string;
}

export interface Extensions {
  mcp: McpManager;
  skills: SkillCatalog;
  /** the system prompt's skills list */
  promptExtra: () => string;
  /** true when the agent can write the workspace (exec or file tools): the prompt then skips symlinked files */
  workspaceWritable: boolean;
  /** stops the MCP servers (their processes end) */
  close(): Promise<void>;
}

export function attachExtensions(o: ExtensionsOptions): Extensions {
  const { config, tools } = o;
  const skills = new SkillCatalog(config.skills.enabled ? skillDirs(o.workspaceDir, o.home, config.skills.dirs.map((d) => expandHome(d))) : []);
  if (config.skills.enabled) tools.register(createSkillTool(skills));
  const memory = config.tools.memory;
  if (memory.enabled) {
    tools.register(createMemoryWriteTool(memory, { workspaceDir: o.workspaceDir, clock: o.clock }));
    tools.register(createMemorySearchTool({ workspaceDir: o.workspaceDir }));
  }
  if (config.tools.exec.enabled) tools.register(createExecTool(config.tools.exec, { workspaceDir: o.workspaceDir }));
  if (config.tools.files.enabled) {
    const [read, write, list, edit] = createFileTools(config.tools.files, o.workspaceDir);
    tools.register(read).register(write).register(list).register(edit);
  }

  const mcp = new McpManager({ tools, logger: o.logger, cacheFile: join(o.home, "state", "mcp-tools.json") });
  let specs: ReturnType<typeof mcpServerSpecs> = [];
  try {
    specs = mcpServerSpecs(config, o.configDir);
  } catch (err) {
    // an unreadable env_file: the servers stay off, the agent goes on
    o.logger.warn({ err: (err as Error).message }, "MCP servers not started");
  }
  void mcp.apply(specs);
  return {
    mcp,
    skills,
    promptExtra: () => skills.promptSection(),
    workspaceWritable: config.tools.exec.enabled || config.tools.files.enabled,
    close: () => mcp.close(),
  };
}
