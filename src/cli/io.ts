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

/**
 * The process's own streams. stdin is made when a command first reads it: Node builds
 * `process.stdin` on first use, and for a file or /dev/null (a service's stdin) that loads fs's
 * streams, fs/promises and readline, ~5 ms of a gateway start that never reads it.
 */
export function processIO(): CliIO {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    get stdin() {
      return process.stdin;
    },
    env: process.env,
    get interactive() {
      return Boolean(process.stdin.isTTY);
    },
  };
}

export function writeLine(stream: Writable, text = ""): void {
  stream.write(text.endsWith("\n") ? text : `${text}\n`);
}
