#!/usr/bin/env node
// Entry point of the `switchboard` command. The sources are TypeScript run
// directly by Node 24 (type stripping); see README "Why no build step".
import { main } from "../src/cli/main.ts";

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`switchboard: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
