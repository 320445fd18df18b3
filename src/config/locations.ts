// Where state lives: SWITCHBOARD_HOME (default ~/.switchboard) holds the
// config, the database, the router's state and the workspace.
// SWITCHBOARD_CONFIG or --config names another config file.
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";

export interface Paths {
  home: string;
  configFile: string;
  workspace: string;
  dbFile: string;
  routerStateFile: string;
}

export function expandHome(p: string): string {
  if (p === "~") return homedir();
  if (p.startsWith("~/")) return join(homedir(), p.slice(2));
  return p;
}

export function resolvePaths(env: NodeJS.ProcessEnv = process.env, flagConfig?: string): Paths {
  const homeVar = env.SWITCHBOARD_HOME?.trim();
  const home = homeVar ? resolve(expandHome(homeVar)) : join(homedir(), ".switchboard");
  const cfg = flagConfig?.trim() || env.SWITCHBOARD_CONFIG?.trim();
  const configFile = cfg ? (isAbsolute(expandHome(cfg)) ? expandHome(cfg) : resolve(cfg)) : join(home, "config.json");
  return {
    home,
    configFile,
    workspace: join(home, "workspace"),
    dbFile: join(home, "switchboard.db"),
    routerStateFile: join(home, "state", "router.json"),
  };
}
