// WAL checkpoints in the background (src/store/checkpoint.ts): the WAL's
// pages reach the database file, the WAL stays bounded under a long run of
// commits, the main connection's own checkpoint comes back when the
// checkpointer stops, and a process killed in the middle of a cycle loses no
// committed row.
import { copyFileSync, existsSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { describe, expect, it } from "vitest";
import { CAP_PAGES, WalCheckpointer } from "../../src/store/checkpoint.ts";
import { openSqliteBackend } from "../../src/store/sqlite-backend.ts";
import { useTempDb } from "./helpers.ts";
import { runAndKill } from "./kill-child.ts";

const t = useTempDb();
const immediate = () => new Promise((r) => setImmediate(r));

/** a transaction of `rows` rows of ~1 KB in the kv table */
function write(db: DatabaseSync, from: number, rows: number): void {
  const put = db.prepare("INSERT OR REPLACE INTO kv (key, value, updated_at) VALUES (?, ?, ?)");
  db.exec("BEGIN IMMEDIATE");
  for (let i = from; i < from + rows; i++) put.run(`row:${i}`, JSON.stringify("x".repeat(1000) + i), i);
  db.exec("COMMIT");
}

const autocheckpoint = (db: DatabaseSync) => (db.prepare("PRAGMA wal_autocheckpoint").get() as { wal_autocheckpoint: number }).wal_autocheckpoint;

describe("background WAL checkpoints", () => {
  it("copy what was committed into the database file itself", async () => {
    const s = t.open();
    const ckpt = new WalCheckpointer(s.db, t.file, { everyMs: 60_000 });
    try {
      write(s.db, 0, 200);
      const cycle = await ckpt.checkpoint();
      expect(cycle.frames).toBeGreaterThan(0);
      expect(cycle.backfilled).toBe(cycle.frames);
      // the database file alone (no WAL beside it) holds every row
      const copy = join(t.dir, "copy.db");
      copyFileSync(t.file, copy);
      const alone = new DatabaseSync(copy, { readOnly: true });
      expect(alone.prepare("SELECT count(*) AS n FROM kv WHERE key LIKE 'row:%'").get()).toEqual({ n: 200 });
      alone.close();
    } finally {
      await ckpt.stop();
      s.close();
      await ckpt.close();
    }
  });

  it("keep the WAL bounded over a long run of commits, and hand the checkpoints back to SQLite when stopped", async () => {
    const s = t.open();
    const ckpt = new WalCheckpointer(s.db, t.file, { everyMs: 1 });
    const pageSize = (s.db.prepare("PRAGMA page_size").get() as { page_size: number }).page_size;
    try {
      expect(autocheckpoint(s.db)).toBe(CAP_PAGES);
      // ~6 pages a commit, 20,000 pages in all: five times the bound
      let largest = 0;
      for (let i = 0; i < 4000; i++) {
        write(s.db, i * 5, 5);
        if (i % 20 === 0) await immediate(); // the checkpointer's cycles run between messages
        largest = Math.max(largest, statSync(`${t.file}-wal`).size);
      }
      expect(ckpt.cycles).toBeGreaterThan(0);
      // past the bound only by what was written while a cycle waited on its fsyncs
      expect(largest).toBeLessThanOrEqual(2 * CAP_PAGES * (pageSize + 24) + 32);
      await ckpt.stop();
      expect(autocheckpoint(s.db)).toBe(1000);
      expect(s.db.prepare("SELECT count(*) AS n FROM kv WHERE key LIKE 'row:%'").get()).toEqual({ n: 20_000 });
    } finally {
      await ckpt.stop();
      s.close();
      await ckpt.close();
    }
  });

  it("run for a gateway's store and end with it: the last close checkpoints the rest and removes the WAL", async () => {
    const backend = openSqliteBackend(t.file);
    await backend.kv.set("greeting", "hello");
    await backend.close();
    expect(existsSync(`${t.file}-wal`)).toBe(false);
    const s = t.open();
    expect(s.kv.get("greeting")).toBe("hello");
    expect(s.db.prepare("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
  });

  it("lose no committed row when the process is killed in the middle of cycles", async () => {
    for (let round = 0; round < 3; round++) {
      const file = join(t.dir, `killed-${round}.db`);
      const lines = await writeAndKill(file, 300 + round * 250);
      const committed = lines.filter((l) => l.startsWith("row ")).map((l) => Number(l.slice(4)));
      expect(lines.filter((l) => l === "cycle").length).toBeGreaterThanOrEqual(3);
      const db = new DatabaseSync(file);
      expect(db.prepare("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
      const present = new Set((db.prepare("SELECT key FROM kv WHERE key LIKE 'row:%'").all() as { key: string }[]).map((r) => Number(r.key.slice(4))));
      expect(committed.filter((i) => !present.has(i))).toEqual([]);
      db.close();
    }
  });
});

const storeUrl = new URL("../../src/store/index.ts", import.meta.url).href;
const checkpointUrl = new URL("../../src/store/checkpoint.ts", import.meta.url).href;

/**
 * A child process commits rows one transaction at a time (printing each
 * after its COMMIT) while checkpoint cycles run back to back beside it
 * (printing "cycle" after each); it is killed with SIGKILL once `rows` rows
 * are committed, most likely while a cycle waits on an fsync.
 */
async function writeAndKill(file: string, rows: number): Promise<string[]> {
  const script = join(t.dir, "writer.mts");
  writeFileSync(
    script,
    `import { openStore } from ${JSON.stringify(storeUrl)};
import { WalCheckpointer } from ${JSON.stringify(checkpointUrl)};
const s = openStore(${JSON.stringify(file)});
const ckpt = new WalCheckpointer(s.db, ${JSON.stringify(file)}, { everyMs: 60_000 });
const put = s.db.prepare("INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?)");
void (async () => { for (;;) { await ckpt.checkpoint(); process.stdout.write("cycle\\n"); } })();
for (let i = 0; ; i++) {
  s.db.exec("BEGIN IMMEDIATE");
  put.run("row:" + i, JSON.stringify("y".repeat(3000)), i);
  s.db.exec("COMMIT");
  process.stdout.write("row " + i + "\\n");
  await new Promise((r) => setImmediate(r));
}
`,
  );
  let written = 0;
  let cycles = 0;
  return runAndKill(script, (line) => {
    if (line === "cycle") cycles++;
    else written++;
    return written >= rows && cycles >= 3;
  });
}
