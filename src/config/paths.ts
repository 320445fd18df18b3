// Where state lives: SWITCHBOARD_HOME (default ~/.switchboard) holds the
// config, the database, the router's state and the workspace. The --config
// flag, else SWITCHBOARD_CONFIG, names another config file.
import { homedir } from "node:os";
import { join, resolve } from "node:path";

export interface Paths {
  home: string;
  configFile: string;
  /** default workspace; agents.defaults.workspace overrides it */
  workspace: string;
  dbFile: string;
  routerStateFile: string;
}

/** "~" and "~/x" → the user's home directory; anything else unchanged. */
export function expandHome(p: string, home: string = homedir()): string {
  if (p === "~") return home;
  if (p.startsWith("~/")) return join(home, p.slice(2));
  return p;
}

export function resolvePaths(env: NodeJS.ProcessEnv = process.env, flagConfig?: string): Paths {
  const homeVar = env.SWITCHBOARD_HOME?.trim();
  const home = homeVar ? resolve(expandHome(homeVar)) : join(homedir(), ".switchboard");
  const cfg = flagConfig?.trim() || env.SWITCHBOARD_CONFIG?.trim();
  return {
    home,
    configFile: cfg ? resolve(expandHome(cfg)) : join(home, "config.json"),
    workspace: join(home, "workspace"),
    dbFile: join(home, "switchboard.db"),
    routerStateFile: join(home, "state", "router.json"),
  };
}
