// `switchboard auth login --provider <vendor>`: asks for the vendor's API
// token without echoing it (or reads it from piped stdin), stores it mode
// 0600 in <state>/credentials.json; model entries of that vendor without a
// key of their own use it. `auth status` lists stored tokens masked,
// `auth logout --provider <vendor>` removes one.
import type { Readable } from "node:stream";
import type { Command } from "commander";
import { SwitchboardError } from "../core/errors.ts";
import { maskSecret } from "../core/redact.ts";
import { vendor, vendors } from "../providers/catalogue.ts";
import { credentialsFile, listTokens, removeToken, saveToken } from "../providers/credentials.ts";
import { writeLine } from "./io.ts";
import type { CliContext } from "./main.ts";

function knownVendor(name: string | undefined): string {
  const v = name ? vendor(name.trim().toLowerCase()) : undefined;
  if (!v) {
    const list = vendors().filter((x) => !x.unsupported && x.needsKey).map((x) => x.prefix).join(", ");
    throw new SwitchboardError("usage", `${name ? `"${name}" is not a vendor Switchboard knows` : "--provider is required"}; use one of: ${list}`, { exitCode: 2 });
  }
  if (v.unsupported) throw new SwitchboardError("usage", `${v.name}: ${v.unsupported}`, { exitCode: 2 });
  return v.prefix;
}

/**
 * Reads one line from a terminal in raw mode, echoing nothing. The prompt is
 * written only once echo is off: a person (or a script) who types as soon as
 * it appears must never see the token echoed.
 */
function readHidden(stdin: Readable & { setRawMode?: (on: boolean) => void }, prompt: () => void): Promise<string> {
  return new Promise((resolve, reject) => {
    let value = "";
    stdin.setRawMode?.(true);
    prompt();
    stdin.resume();
    const done = (err?: Error) => {
      stdin.setRawMode?.(false);
      stdin.pause();
      stdin.off("data", onData);
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString("utf8")) {
        if (ch === "\r" || ch === "\n" || ch === "\u0004") return done();
        if (ch === "\u0003") return done(new SwitchboardError("usage", "cancelled", { exitCode: 130 }));
        if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on("data", onData);
  });
}

/** Reads the first line of piped stdin. */
async function readPiped(stdin: Readable): Promise<string> {
  let text = "";
  for await (const chunk of stdin) {
    text += String(chunk);
    if (text.includes("\n")) break;
  }
  return text.split(/\r?\n/)[0] ?? "";
}

export function register(program: Command, ctx: CliContext): void {
  const auth = program.command("auth").description("store API tokens for providers (used by entries without a key)");
  auth
    .command("login")
    .description("paste a provider's API token; it is stored mode 0600 and never echoed")
    .requiredOption("-p, --provider <vendor>", "the vendor prefix, e.g. anthropic, openai, zhipu")
    .action(async (flags: { provider: string }) => {
      const prefix = knownVendor(flags.provider);
      const name = vendor(prefix)!.name;
      let token: string;
      if (ctx.io.interactive) {
        token = await readHidden(ctx.io.stdin as Readable & { setRawMode?: (on: boolean) => void }, () => ctx.io.stderr.write(`Paste your ${name} API token (input is hidden), then press Enter: `));
        writeLine(ctx.io.stderr);
      } else {
        token = await readPiped(ctx.io.stdin);
      }
      token = token.trim();
      if (!token) throw new SwitchboardError("usage", "no token given: paste it at the prompt, or pipe it on stdin", { exitCode: 2 });
      if (/\s/.test(token)) throw new SwitchboardError("usage", "the token contains spaces; paste only the token itself", { exitCode: 2 });
      const file = saveToken(prefix, token, ctx.io.env);
      writeLine(ctx.io.stdout, `saved the ${name} token (${maskSecret(token)}) in ${file}; ${prefix}/ entries without api_key use it`);
    });
  auth
    .command("status")
    .description("list stored tokens, masked")
    .action(() => {
      const tokens = listTokens(ctx.io.env);
      if (tokens.length === 0) {
        writeLine(ctx.io.stdout, `no stored tokens (${credentialsFile(ctx.io.env)}); add one with \`switchboard auth login --provider <vendor>\``);
        return;
      }
      for (const t of tokens) writeLine(ctx.io.stdout, `${t.vendor.padEnd(20)} ${maskSecret(t.token)}  saved ${t.savedAt}`);
    });
  auth
    .command("logout")
    .description("remove a stored token")
    .requiredOption("-p, --provider <vendor>", "the vendor prefix")
    .action((flags: { provider: string }) => {
      const prefix = knownVendor(flags.provider);
      const removed = removeToken(prefix, ctx.io.env);
      writeLine(ctx.io.stdout, removed ? `removed the stored ${prefix} token` : `no stored ${prefix} token`);
    });
}
