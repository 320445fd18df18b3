#!/usr/bin/env node
// Entry point of the `switchboard` command. The sources are TypeScript run
// directly by Node 24 (type stripping); see README "Why no build step".
//
// This file must parse and run on any Node that can load an ES module
// (12+): the Node version is checked before anything Node 24 needs is
// touched. The install brings its own Node 24 (the `node` npm package in
// node_modules); an older Node that started this file hands over to it.
import * as nodeModule from "node:module";

// Node's built-ins through require(), here and in bin/bundle.js and bin/state-home.js (which use
// process.getBuiltinModule, Node 24 being certain there): an `import { … } from "node:fs"` makes
// Node build an ES module facade of the module, reading every export once, and fs's lazy ones
// (ReadStream, promises) load its streams, fs/promises and readline: ~6 ms of CPU in every start.
// createRequire is in every Node this file must run on (12.2+); the names carry no "node:" prefix
// for the same reason.
const require = nodeModule.createRequire(import.meta.url);
const { existsSync } = require("fs");
const { dirname, join } = require("path");
const { fileURLToPath } = require("url");

const REQUIRED_MAJOR = 24;
const major = Number(process.versions.node.split(".")[0]);

if (major < REQUIRED_MAJOR) {
  const root = join(dirname(fileURLToPath(import.meta.url)), "..");
  const bundled = join(root, "node_modules", "node", "bin", "node");
  if (existsSync(bundled) && process.env.SWITCHBOARD_REEXEC !== "1") {
    // Same arguments, same terminal, under the install's Node 24. SIGTERM and
    // SIGHUP sent to this process are passed on; Ctrl-C already reaches the
    // child (same process group), so a second SIGINT is not sent: the gateway
    // would take it as "exit now".
    const { spawn } = require("child_process");
    const child = spawn(bundled, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
      stdio: "inherit",
      env: Object.assign({}, process.env, { SWITCHBOARD_REEXEC: "1" }),
    });
    for (const sig of ["SIGTERM", "SIGHUP"]) process.on(sig, () => child.kill(sig));
    process.on("SIGINT", () => {});
    child.on("exit", (code, signal) => {
      process.exitCode = code === null ? 128 + (signal === "SIGKILL" ? 9 : 15) : code;
    });
    child.on("error", (err) => {
      process.stderr.write(`switchboard: cannot start ${bundled}: ${err.message}\n`);
      process.exitCode = 1;
    });
  } else {
    process.stderr.write(
      `switchboard: this is Node ${process.versions.node} (${process.execPath}); Switchboard needs Node ${REQUIRED_MAJOR} or newer.\n` +
        `  Fix: run \`npm ci --omit=dev\` in ${root} (it installs Node ${REQUIRED_MAJOR} into node_modules/node), then start it with \`npm start\`,\n` +
        `  or run ${bundled} ${join(root, "bin", "switchboard.js")} …, or install Node ${REQUIRED_MAJOR} (https://nodejs.org/en/download).\n`,
    );
    process.exitCode = 1;
  }
} else {
  await run();
}

async function run() {
  // dist/ (the bundle `npm install` builds) when it matches the sources, else the sources: bin/bundle.js
  const { chooseEntry } = await import("./bundle.js");
  let choice;
  try {
    choice = chooseEntry(join(dirname(fileURLToPath(import.meta.url)), ".."), process.env);
  } catch (err) {
    process.stderr.write(`switchboard: ${err.message}\n`);
    process.exitCode = 1;
    return;
  }
  if (choice.notice) process.stderr.write(`${choice.notice}\n`);
  // Node caches compiled (and type-stripped) modules on disk: later starts
  // skip that work. A cache that cannot be written is simply not used.
  nodeModule.enableCompileCache?.(await compileCacheDir(choice.bundle));
  const { main } = await import(choice.entry);
  main(process.argv).then(
    (code) => {
      // the command is done: do not wait for idle keep-alive sockets or timers
      // (stdout and stderr are synchronous for files and pipes on Linux)
      process.exit(code);
    },
    (err) => {
      process.stderr.write(`switchboard: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}

/**
 * Where the compile cache lives: NODE_COMPILE_CACHE when set, else for the
 * gateway running the bundle <state>/cache/compile, else Node's default (in
 * the temp directory). The temp directory a systemd unit gets (PrivateTmp)
 * is empty at every start, as is a new container's, so a gateway's cache there
 * would be cold every time; the state directory is kept. Other commands, and
 * the sources (the tests), keep the default.
 * @param {boolean} bundle
 * @returns {Promise<string | undefined>}
 */
async function compileCacheDir(bundle) {
  if (process.env.NODE_COMPILE_CACHE || !bundle || !process.argv.slice(2).includes("gateway")) return undefined;
  const { stateHome } = await import("./state-home.js");
  return join(stateHome(process.env), "cache", "compile");
}
