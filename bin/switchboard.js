#!/usr/bin/env node
// Entry point of the `switchboard` command. The sources are TypeScript run
// directly by Node 24 (type stripping); see README "Why no build step".
import { enableCompileCache } from "node:module";

// Node caches compiled (and type-stripped) modules on disk: later starts skip
// that work. A cache that cannot be written is simply not used.
enableCompileCache();
const { main } = await import("../src/cli/main.ts");

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
