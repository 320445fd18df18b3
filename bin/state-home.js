// The state directory: SWITCHBOARD_HOME, else ~/.switchboard. Plain
// JavaScript, so bin/switchboard.js can place the gateway's compile cache in
// it before any TypeScript loads; src/config/paths.ts builds every other path
// from it.
// built-ins without an ES module facade (see bin/switchboard.js)
const { homedir } = process.getBuiltinModule("node:os");
const { join, resolve } = process.getBuiltinModule("node:path");

/**
 * "~" and "~/x" → the user's home directory; anything else unchanged.
 * @param {string} p
 * @param {string} [home]
 * @returns {string}
 */
export function expandHome(p, home = homedir()) {
  if (p === "~") return home;
  if (p.startsWith("~/")) return join(home, p.slice(2));
  return p;
}

/**
 * @param {NodeJS.ProcessEnv} env
 * @returns {string} the state directory, absolute
 */
export function stateHome(env) {
  const homeVar = env.SWITCHBOARD_HOME?.trim();
  return homeVar ? resolve(expandHome(homeVar)) : join(homedir(), ".switchboard");
}
