// The last log lines, for the control page's live log: a ring buffer fed
// with the gateway's own JSON log lines (a pino destination beside stdout),
// fanned out to whoever listens. Lines arrive here after pino's redaction;
// bounded, so a chatty log cannot grow memory.
import type { LogLine } from "./surface.ts";

const LEVELS: Record<number, LogLine["level"]> = { 10: "trace", 20: "debug", 30: "info", 40: "warn", 50: "error", 60: "fatal" };
/** fields every line has, shown in their own columns rather than among the rest */
const OWN = new Set(["level", "time", "msg", "pid", "hostname", "v"]);

export class LogTail {
  private readonly lines: LogLine[] = [];
  private readonly listeners = new Set<(line: LogLine) => void>();
  private seq = 0;
  private partial = "";
  private readonly capacity: number;

  constructor(capacity = 1000) {
    this.capacity = capacity;
  }

  /** a pino destination: takes chunks of newline-separated JSON lines */
  readonly stream = {
    write: (chunk: string): boolean => {
      const text = this.partial + chunk;
      const parts = text.split("\n");
      this.partial = parts.pop() ?? "";
      for (const part of parts) if (part.trim()) this.add(part);
      return true;
    },
  };

  private add(json: string): void {
    let raw: Record<string, unknown>;
    try {
      raw = JSON.parse(json) as Record<string, unknown>;
    } catch {
      return; // not a log line (a partial write is completed by the next chunk)
    }
    const fields = Object.fromEntries(Object.entries(raw).filter(([k]) => !OWN.has(k)));
    const line: LogLine = {
      seq: ++this.seq,
      time: typeof raw.time === "number" ? raw.time : Date.now(),
      level: LEVELS[Number(raw.level)] ?? "info",
      msg: typeof raw.msg === "string" ? raw.msg : "",
      ...(Object.keys(fields).length ? { fields } : {}),
    };
    this.lines.push(line);
    if (this.lines.length > this.capacity) this.lines.splice(0, this.lines.length - this.capacity);
    for (const l of this.listeners) l(line);
  }

  recent(limit: number): LogLine[] {
    return this.lines.slice(-limit);
  }

  subscribe(listener: (line: LogLine) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
