// Where a gateway's start went: the wall and CPU time since the process
// started at each step of Daemon.start(), and when each channel came online.
// Logged with "gateway ready" and shown in /status, so a slow start says
// whether it waited on a channel's network or spent CPU (and on which step)
// without a profiler; the gateway bench prints its slowest start's.

export interface StartStep {
  step: string;
  /** ms since the process started */
  atMs: number;
  /** CPU the process had used by then, ms (every thread) */
  cpuMs: number;
}

export interface StartReport {
  readyMs: number;
  cpuMs: number;
  steps: StartStep[];
  /** ms since the process started at which each channel came online (absent: not online at ready) */
  channelsOnlineMs: Record<string, number>;
}

const uptimeMs = () => Math.round(process.uptime() * 1000);

function cpuNow(): number {
  const c = process.cpuUsage();
  return Math.round((c.user + c.system) / 1000);
}

export class StartTimeline {
  private readonly steps: StartStep[] = [];
  private done: StartReport | undefined;

  /** notes that `step` just finished */
  mark(step: string): void {
    this.steps.push({ step, atMs: uptimeMs(), cpuMs: cpuNow() });
  }

  /**
   * Closes the timeline at ready. `channels`: each channel's state and since
   * when (epoch ms), as the supervisors report them.
   */
  ready(channels: { id: string; state: string; since: number }[]): StartReport {
    const readyMs = uptimeMs();
    const startedAt = Date.now() - process.uptime() * 1000;
    const channelsOnlineMs: Record<string, number> = {};
    for (const c of channels) if (c.state === "online") channelsOnlineMs[c.id] = Math.max(0, Math.round(c.since - startedAt));
    this.done = { readyMs, cpuMs: cpuNow(), steps: [...this.steps], channelsOnlineMs };
    return this.done;
  }

  /** the report once the gateway was ready, else undefined */
  report(): StartReport | undefined {
    return this.done;
  }
}

/** "config 152 ms (CPU 140), …, discord online 590 ms, ready 600 ms (CPU 480)" */
export function describeStart(r: StartReport): string {
  const steps = r.steps.map((s) => `${s.step} ${s.atMs} ms (CPU ${s.cpuMs})`);
  const online = Object.entries(r.channelsOnlineMs)
    .sort((a, b) => a[1] - b[1])
    .map(([id, ms]) => `${id} online ${ms} ms`);
  return [...steps, ...online, `ready ${r.readyMs} ms (CPU ${r.cpuMs})`].join(", ");
}
