// `switchboard agent -m "text"`: one turn from the terminal, the reply on
// stdout. Without -m, an interactive prompt. --audio FILE transcribes a
// recording through the voice service and answers it.
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { createInterface } from "node:readline";
import type { Command } from "commander";
import { SwitchboardError } from "../core/errors.ts";
import { createRuntime, type Runtime } from "../gateway/runtime.ts";
import { transcriptionFailureMessage } from "../voice/messages.ts";
import { writeLine } from "./io.ts";
import type { CliContext } from "./main.ts";
import { commandSetup } from "./setup.ts";

interface AgentFlags {
  message?: string;
  model?: string;
  session: string;
  audio?: string;
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
    .action(async (flags: AgentFlags) => {
      const { loaded, paths, logger } = commandSetup(ctx);
      const runtime = createRuntime({
        loaded,
        paths,
        logger,
        env: ctx.io.env,
        send: async (channel, chatId, text) => writeLine(ctx.io.stdout, `[message to ${channel}:${chatId}] ${text}`),
      });
      try {
        if (flags.message !== undefined || flags.audio !== undefined) {
          let text = flags.message ?? "";
          if (flags.audio) {
            const heard = await transcribeFile(runtime, flags.audio);
            writeLine(ctx.io.stderr, `🎤 "${heard}"`);
            text = text ? `${text}\n\n${heard}` : heard;
          }
          const reply = await turn(runtime, flags, text);
          writeLine(ctx.io.stdout, reply);
          return;
        }
        await interactive(ctx, runtime, flags);
      } finally {
        await runtime.close();
      }
    });
}

async function turn(runtime: Runtime, flags: AgentFlags, text: string): Promise<string> {
  if (!text.trim()) throw new SwitchboardError("usage", "the message is empty: pass some text with -m");
  const res = await runtime.agent.runTurn({
    origin: { sessionKey: flags.session, channel: "cli", chatId: flags.session, senderId: "local", local: true },
    text,
    ...(flags.model ? { model: flags.model } : {}),
  });
  return res.text;
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
          writeLine(ctx.io.stdout, `agent> ${await turn(runtime, flags, line)}`);
        } catch (err) {
          writeLine(ctx.io.stderr, `error: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      prompt();
    }
  } finally {
    rl.close();
    writeLine(ctx.io.stdout);
  }
}
