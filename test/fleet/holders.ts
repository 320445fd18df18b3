// Spawns lease-holder.ts processes and collects their JSON event lines.
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";

const SCRIPT = join(import.meta.dirname, "lease-holder.ts");

export interface HolderEvent {
  ev: string;
  name: string;
  t: number;
  epoch?: number;
  why?: string;
  checkedAt?: number;
}

export class Holders {
  readonly events: HolderEvent[] = [];
  readonly procs = new Map<string, ChildProcess>();
  private readonly stderr = new Map<string, string>();
  private readonly url: string;
  private readonly account: string;

  constructor(url: string, account: string) {
    this.url = url;
    this.account = account;
  }

  spawn(name: string): void {
    const child = spawn(process.execPath, [SCRIPT, this.url, this.account, name], { stdio: ["ignore", "pipe", "pipe"] });
    let buf = "";
    child.stdout!.on("data", (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.trim()) this.events.push(JSON.parse(line) as HolderEvent);
      }
    });
    child.stderr!.on("data", (d: Buffer) => this.stderr.set(name, (this.stderr.get(name) ?? "") + d.toString()));
    this.procs.set(name, child);
  }

  signal(name: string, sig: NodeJS.Signals): void {
    this.procs.get(name)!.kill(sig);
  }

  /** the holder of the newest acquisition */
  lastAcquire(): HolderEvent | undefined {
    return this.events.filter((e) => e.ev === "acquire").at(-1);
  }

  /** Waits (bounded) until an event matches. */
  async waitFor(pred: (e: HolderEvent) => boolean, what: string, timeoutMs = 20_000): Promise<HolderEvent> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.events.find(pred);
      if (hit) return hit;
      if (Date.now() > until) {
        const errs = [...this.stderr].map(([n, s]) => `${n}: ${s.slice(-800)}`).join("\n");
        throw new Error(`timed out waiting for ${what}\nevents: ${JSON.stringify(this.events.filter((e) => e.ev !== "act").slice(-20))}\nstderr: ${errs}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async killAll(): Promise<void> {
    const exits = [...this.procs.values()]
      .filter((c) => c.exitCode === null && c.signalCode === null)
      .map((c) => new Promise<void>((r) => {
        c.once("exit", () => r());
        c.kill("SIGCONT");
        c.kill("SIGKILL");
      }));
    await Promise.all(exits);
  }

  /**
   * The holders' own logs never overlap: every act a holder made under epoch e
   * was checked before the moment epoch e+1 was acquired by anyone.
   */
  overlaps(): string[] {
    const acquiredAt = new Map<number, number>();
    for (const e of this.events) if (e.ev === "acquire") acquiredAt.set(e.epoch!, e.t);
    const bad: string[] = [];
    for (const e of this.events) {
      if (e.ev !== "act") continue;
      for (const [epoch, t] of acquiredAt) {
        if (epoch > e.epoch! && e.checkedAt! >= t) bad.push(`${e.name} acted under epoch ${e.epoch} at ${e.checkedAt}, after epoch ${epoch} was acquired at ${t}`);
      }
    }
    return bad;
  }
}
