// `switchboard version`
import type { Command } from "commander";
import pkg from "../../package.json" with { type: "json" };
import type { CliContext } from "./main.ts";
import { writeLine } from "./io.ts";

export const VERSION: string = pkg.version;

export function register(program: Command, ctx: CliContext): void {
  program
    .command("version")
    .description("print the version of Switchboard and of Node.js")
    .action(() => {
      writeLine(ctx.io.stdout, `switchboard ${VERSION} (node ${process.versions.node})`);
    });
}
