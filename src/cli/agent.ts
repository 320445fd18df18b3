// `switchboard agent -m "text"`: one turn from the terminal, the reply on
// stdout, images the turn generated saved as files (their paths printed).
// Without -m, an interactive prompt. --audio FILE transcribes a recording
// through the voice service and answers it. A failed one-shot turn prints
// one line on stderr — what went wrong and how to fix it — unless --verbose.
// The session's history is kept in the store the gateways use (store.url /
// SWITCHBOARD_DATABASE_URL, else the SQLite file), so a terminal session and
// a gateway on PostgreSQL share it.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import type { Command } from "commander";
import { SwitchboardError, errorMessage } from "../core/errors.ts";
import type { TurnResult } from "../agent/agent.ts";
import { createRuntime, type Runtime } from "../gateway/runtime.ts";
import { oneLineFailure, verboseFailure } from "../providers/explain.ts";
import { transcriptionFailureMessage } from "../voice/messages.ts";
import { writeLine } from "./io.ts";
import type { CliContext } from "./main.ts";
import { commandSetup } from "./setup.ts";
import { commandStoreLocation, openCommandStore } from "./store-open.ts";

interface AgentFlags {
  message?: string;
  model?: string;
  session: string;
  audio?: string;
  verbose?: boolean;
  outDir?: string;
}

const AUDIO_TYPES: Record<string, string> = { ogg: "audio/ogg", opus: "audio/ogg", oga: "audio/ogg", mp3: "audio/mpeg", m4a: "audio/mp4", wav: "audio/wav" };

export function register(program: Command, ctx: CliContext): void {
  program
    .command("agent")
    .description("talk to the agent from the terminal")
    .option("-m, --message <text>", "send one message, print the reply and exit")
    .option("--model <name>", "a model_name or vendor/model reference instead of the configured one")
    .option("-s, --session <key>", "session to use", "cli:default")
    .option("--audio <file>", "transcribe a recording (ogg/opus, mp3, m4a, wav) and answer it")
    .option("--out-dir <dir>", "where generated images are saved (default: <workspace>/images)")
    .option("-v, --verbose", "on failure, print every attempt and the full error")
    .action(async (flags: AgentFlags) => {
      // provider warnings stay quiet: a failure is summed up in one line (every attempt with --verbose)
      const setup = commandSetup(ctx, { logLevel: flags.verbose ? "info" : (ctx.io.env.SWITCHBOARD_LOG_LEVEL ?? "error") });
      const { loaded, paths, logger } = setup;
      // the conversation lives where the gateways keep theirs (store.url / SWITCHBOARD_DATABASE_URL)
      const store = await openCommandStore(commandStoreLocation(setup, ctx.io.env));
      let runtime: Runtime;
      try {
        runtime = createRuntime({
          loaded,
          paths,
          logger,
          env: ctx.io.env,
          store,
          send: async (channel, chatId, text) => writeLine(ctx.io.stdout, `[message to ${channel}:${chatId}] ${text}`),
        });
      } catch (err) {
        await store.close(); // an open pool would keep the process alive
        throw err;
      }
      try {
        // MCP servers connect in the background; a terminal turn waits for them (bounded) so their tools are there
        await runtime.extensions.mcp.settled(30_000);
        if (flags.message !== undefined || flags.audio !== undefined) {
          let text = flags.message ?? "";
          if (flags.audio) {
            const heard = await transcribeFile(runtime, flags.audio);
            writeLine(ctx.io.stderr, `🎤 "${heard}"`);
            text = text ? `${text}\n\n${heard}` : heard;
          }
          let res: TurnResult;
          try {
            res = await turn(runtime, flags, text);
          } catch (err) {
            if (err instanceof SwitchboardError && err.code === "usage") throw err;
            ctx.exitCode = 1;
            if (flags.verbose) for (const line of verboseFailure(err)) writeLine(ctx.io.stderr, line);
            else writeLine(ctx.io.stderr, `switchboard: ${oneLineFailure(err)}`);
            return;
          }
          writeLine(ctx.io.stdout, res.text);
          for (const file of await saveImages(res, flags.outDir ?? join(runtime.workspaceDir, "images"))) writeLine(ctx.io.stdout, `[image] ${file}`);
          return;
        }
        await interactive(ctx, runtime, flags);
      } finally {
        // a one-shot turn's compaction runs after its answer: finish it rather than drop it at close
        await runtime.agent.compactions.idle();
        await runtime.close();
        await store.close();
      }
    });
}

async function turn(runtime: Runtime, flags: AgentFlags, text: string): Promise<TurnResult> {
  if (!text.trim()) throw new SwitchboardError("usage", "the message is empty: pass some text with -m");
  return runtime.agent.runTurn({
    origin: { sessionKey: flags.session, channel: "cli", chatId: flags.session, senderId: "local", local: true },
    text,
    ...(flags.model ? { model: flags.model } : {}),
  });
}

const EXTENSIONS: Record<string, string> = { "image/png": "png", "image/jpeg": "jpg", "image/webp": "webp" };

/** Writes the turn's generated images to `dir`; returns their absolute paths. */
async function saveImages(res: TurnResult, dir: string): Promise<string[]> {
  const images = res.media.filter((m) => m.kind === "image" && m.data);
  if (images.length === 0) return [];
  await mkdir(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const out: string[] = [];
  for (const [i, m] of images.entries()) {
    const file = resolve(dir, `image-${stamp}-${i + 1}.${EXTENSIONS[m.mimeType] ?? "bin"}`);
    await writeFile(file, m.data!, { mode: 0o600 });
    out.push(file);
  }
  return out;
}

async function transcribeFile(runtime: Runtime, file: string): Promise<string> {
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch (err) {
    throw new SwitchboardError("usage", `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const ext = basename(file).split(".").pop()?.toLowerCase() ?? "";
  try {
    return await runtime.transcriber.transcribe({ data, mimeType: AUDIO_TYPES[ext] ?? "application/octet-stream", filename: basename(file) });
  } catch (err) {
    throw new SwitchboardError("usage", transcriptionFailureMessage(err));
  }
}

async function interactive(ctx: CliContext, runtime: Runtime, flags: AgentFlags): Promise<void> {
  const rl = createInterface({ input: ctx.io.stdin, terminal: false });
  const prompt = () => ctx.io.stdout.write("you> ");
  writeLine(ctx.io.stdout, `Switchboard agent (${runtime.primary ?? "no model configured"}). /help for commands, Ctrl-D to quit.`);
  prompt();
  try {
    // the async iterator buffers lines typed (or piped) while a turn runs
    for await (const raw of rl) {
      const line = raw.trim();
      if (["/quit", "/exit"].includes(line)) break;
      if (line) {
        try {
          writeLine(ctx.io.stdout, `agent> ${(await turn(runtime, flags, line)).text}`);
        } catch (err) {
          writeLine(ctx.io.stderr, `error: ${errorMessage(err)}`);
        }
      }
      prompt();
    }
  } finally {
    rl.close();
    writeLine(ctx.io.stdout);
  }
}
