import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.ts";
import { runShellCommand } from "../../src/scheduler/shell-runner.ts";

const MIN = 60_000;

describe("runShellCommand", () => {
  it("captures stdout and stderr of a successful command", async () => {
    const r = await runShellCommand("echo out; echo err 1>&2", { timeoutMs: 5 * MIN, clock: new ManualClock() });
    expect(r.status).toBe("ok");
    expect(r.exitCode).toBe(0);
    expect(r.output).toContain("out");
    expect(r.output).toContain("err");
    expect(r.error).toBeUndefined();
  });

  it("reports a failing exit status", async () => {
    const r = await runShellCommand("echo nope; exit 3", { timeoutMs: 5 * MIN, clock: new ManualClock() });
    expect(r).toMatchObject({ status: "error", exitCode: 3, error: "the command exited with status 3" });
    expect(r.output.trim()).toBe("nope");
  });

  it("caps the output", async () => {
    const r = await runShellCommand("head -c 100000 /dev/zero | tr '\\0' x", {
      timeoutMs: 5 * MIN,
      clock: new ManualClock(),
      maxOutputBytes: 1000,
    });
    expect(r.status).toBe("ok");
    expect(r.truncated).toBe(true);
    expect(r.output.startsWith("x".repeat(1000))).toBe(true);
    expect(r.output).toContain("[output truncated at 1000 bytes]");
    expect(r.output.length).toBeLessThan(1100);
  });

  it("kills the whole process group when the timeout passes on the clock", async () => {
    const clock = new ManualClock();
    const run = runShellCommand("echo started; sleep 30 | cat; echo never", { timeoutMs: 5 * MIN, clock });
    let done = false;
    void run.then(() => {
      done = true;
    });
    clock.advance(4 * MIN);
    await new Promise((r) => setTimeout(r, 50));
    expect(done).toBe(false);
    clock.advance(1 * MIN);
    const r = await run;
    expect(r.status).toBe("timeout");
    expect(r.error).toMatch(/stopped after 5 minute\(s\).*exec_timeout_minutes/);
    expect(r.output).not.toContain("never");
  });

  it("stops when the signal aborts", async () => {
    const ac = new AbortController();
    const run = runShellCommand("sleep 30", { timeoutMs: 5 * MIN, clock: new ManualClock(), signal: ac.signal });
    ac.abort();
    const r = await run;
    expect(r.status).toBe("error");
    expect(r.error).toMatch(/shut down/);
  });
});

it("does not leave the clock waiting on a finished command's timeout", async () => {
  const clock = new ManualClock();
  const signals: (AbortSignal | undefined)[] = [];
  const sleep = clock.sleep.bind(clock);
  const spy = { ...clock, now: () => clock.now(), sleep: (ms: number, signal?: AbortSignal) => (signals.push(signal), sleep(ms)) };
  await runShellCommand("true", { timeoutMs: MIN, clock: spy });
  expect(signals).toHaveLength(1);
  expect(signals[0]?.aborted).toBe(true);
});
