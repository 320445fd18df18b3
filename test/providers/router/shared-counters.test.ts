// The round-robin positions in router.db are written behind (at most once a
// second, on status, on close, at exit): a restart continues where the last
// process stopped, processes sharing the file add up, and a model call does
// not wait for a commit.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, describe, expect, it, vi } from "vitest";
import { POSITION_FLUSH_MS, sqliteCounters } from "../../../src/providers/router/shared-counters.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function dbFile(): string {
  const dir = mkdtempSync(join(tmpdir(), "sb-rr-"));
  dirs.push(dir);
  return join(dir, "state", "router.db");
}

/** what another process reading the file sees */
function storedCounter(file: string, group: string): number | undefined {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    return (db.prepare("SELECT n FROM rr WHERE grp = ?").get(group) as { n: number } | undefined)?.n;
  } finally {
    db.close();
  }
}

const takeAll = (c: ReturnType<typeof sqliteCounters>, group: string, n: number) => Array.from({ length: n }, () => c.take(group) as number);

describe("round-robin positions in router.db", () => {
  it("continue after a restart where the last process stopped", () => {
    const file = dbFile();
    const first = sqliteCounters(file);
    expect(takeAll(first, "g", 3)).toEqual([0, 1, 2]);
    first.close();
    const second = sqliteCounters(file);
    expect(second.peek("g")).toBe(3);
    expect(takeAll(second, "g", 2)).toEqual([3, 4]);
    second.close();
    expect(storedCounter(file, "g")).toBe(5);
  });

  it("are handed out without a commit, and reach the file within a second or when status asks", async () => {
    const file = dbFile();
    const c = sqliteCounters(file);
    takeAll(c, "g", 4);
    expect(storedCounter(file, "g")).toBeUndefined();
    await vi.waitFor(() => expect(storedCounter(file, "g")).toBe(4), { timeout: POSITION_FLUSH_MS * 10, interval: 50 });
    c.take("g");
    expect(c.groups()).toEqual({ g: 5 });
    expect(storedCounter(file, "g")).toBe(5);
    c.close();
  });

  it("add up over processes sharing the file", () => {
    const file = dbFile();
    const a = sqliteCounters(file);
    const b = sqliteCounters(file);
    takeAll(a, "g", 3);
    takeAll(b, "g", 2);
    a.close();
    b.close();
    const next = sqliteCounters(file);
    expect(next.take("g")).toBe(5);
    next.close();
  });

  it("are written by a process that ends without closing them", () => {
    const file = dbFile();
    const script = `import { sqliteCounters } from ${JSON.stringify(join(import.meta.dirname, "../../../src/providers/router/shared-counters.ts"))};
      const c = sqliteCounters(${JSON.stringify(file)});
      for (let i = 0; i < 7; i++) c.take("g");
      process.exit(0);`;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 30_000 });
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.status).toBe(0);
    expect(storedCounter(file, "g")).toBe(7);
  });
});
