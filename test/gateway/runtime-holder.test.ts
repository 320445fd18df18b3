// A swapped-out runtime serves the turns that started on it and is closed
// only after the last one ends; new turns get the new runtime at once.
import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/core/logger.ts";
import { RuntimeHolder } from "../../src/gateway/runtime-holder.ts";
import type { Runtime } from "../../src/gateway/runtime.ts";

function fakeRuntime(name: string): Runtime & { closed: number; name: string } {
  const rt = { name, closed: 0, close: async () => void rt.closed++ };
  return rt as unknown as Runtime & { closed: number; name: string };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const logger = createLogger({ level: "silent" });

describe("RuntimeHolder", () => {
  it("lets a running turn finish on the old runtime, closes it afterwards, and starts new turns on the new one", async () => {
    const old = fakeRuntime("old");
    const next = fakeRuntime("next");
    const holder = new RuntimeHolder(old, logger);
    const gate = deferred();
    const running = holder.use(async (rt) => {
      await gate.promise;
      return (rt as typeof old).name;
    });
    holder.swap(next);
    expect(await holder.use(async (rt) => (rt as typeof next).name)).toBe("next");
    expect(old.closed).toBe(0);
    gate.resolve();
    expect(await running).toBe("old");
    await new Promise((r) => setImmediate(r));
    expect(old.closed).toBe(1);
    expect(next.closed).toBe(0);
  });

  it("closes an idle replaced runtime at once, and everything exactly once at shutdown", async () => {
    const a = fakeRuntime("a");
    const b = fakeRuntime("b");
    const c = fakeRuntime("c");
    const holder = new RuntimeHolder(a, logger);
    holder.swap(b);
    holder.swap(c);
    await holder.close();
    await holder.close();
    expect([a.closed, b.closed, c.closed]).toEqual([1, 1, 1]);
  });

  it("closes a runtime whose turn failed", async () => {
    const a = fakeRuntime("a");
    const holder = new RuntimeHolder(a, logger);
    const failing = holder.use(async () => {
      throw new Error("turn failed");
    });
    holder.swap(fakeRuntime("b"));
    await expect(failing).rejects.toThrow("turn failed");
    await new Promise((r) => setImmediate(r));
    expect(a.closed).toBe(1);
  });
});
