// Where state lives: SWITCHBOARD_HOME (default ~/.switchboard) holds the
// config, the database, the router's state and the workspace. The --config
// flag, else SWITCHBOARD_CONFIG, names another config file.
import { join, resolve } from "node:path";
import { expandHome, stateHome } from "../../bin/state-home.js";

export { expandHome };

export interface Paths {
  home: string;
  configFile: string;
  /** default workspace; agents.defaults.workspace overrides it */
  workspace: string;
  dbFile: string;
  routerStateFile: string;
}

export function resolvePaths(env: NodeJS.ProcessEnv = process.env, flagConfig?: string): Paths {
  const home = stateHome(env);
  const cfg = flagConfig?.trim() || env.SWITCHBOARD_CONFIG?.trim();
  return {
    home,
    configFile: cfg ? resolve(expandHome(cfg)) : join(home, "config.json"),
    workspace: join(home, "workspace"),
    dbFile: join(home, "switchboard.db"),
    routerStateFile: join(home, "state", "router.json"),
  };
}
