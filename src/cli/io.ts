// What a command may touch of the outside world, injectable for tests.
import type { Readable, Writable } from "node:stream";

export interface CliIO {
  stdout: Writable;
  stderr: Writable;
  stdin: Readable;
  env: NodeJS.ProcessEnv;
  /** true when stdin is a terminal a person types into */
  interactive: boolean;
}

export function processIO(): CliIO {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    interactive: Boolean(process.stdin.isTTY),
  };
}

export function writeLine(stream: Writable, text = ""): void {
  stream.write(text.endsWith("\n") ? text : `${text}\n`);
}
