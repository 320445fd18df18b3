// The daemon's WAL checkpoints (src/store/checkpoint.ts): taken when no turn
// runs instead of inside a message's commit, with SQLite's own checkpoint as
// the bound for a gateway that is never quiet; other processes keep SQLite's
// default; and a kill -9 in the middle of a checkpoint loses nothing.
import { spawn } from "node:child_process";
import { existsSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../../src/store/db.ts";
import { sqliteBackend } from "../../src/store/sqlite-backend.ts";
import { checkpointWhenQuiet, QuietCheckpointer, SQLITE_AUTOCHECKPOINT_PAGES, WAL_BOUND_PAGES, type CheckpointResult } from "../../src/store/checkpoint.ts";
import { WAL_SIZE_LIMIT_BYTES } from "../../src/store/db.ts";
import { TurnActivity } from "../../src/gateway/turn-slots.ts";
import { useTempDb } from "./helpers.ts";

const t = useTempDb();
/** one WAL frame: a 4 KB page and its 24-byte header */
const FRAME = 4096 + 24;

function walBytes(file: string): number {
  return existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0;
}

function makeTable(db: Db): void {
  db.exec("CREATE TABLE IF NOT EXISTS filler (i INTEGER PRIMARY KEY, body BLOB)");
}

/** one commit of `pages` pages or so (a row of that many 4 KB blocks) */
function commitPages(db: Db, i: number, pages = 1): void {
  db.prepare("INSERT INTO filler (i, body) VALUES (?, randomblob(?))").run(i, pages * 4000);
}

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("the daemon's checkpoints", () => {
  it("raise SQLite's automatic checkpoint to the bound while running, and give the default back at the stop", () => {
    const s = t.open();
    const stop = checkpointWhenQuiet(sqliteBackend(s), { work: new TurnActivity() });
    expect(s.db.prepare("PRAGMA wal_autocheckpoint").get()).toEqual({ wal_autocheckpoint: WAL_BOUND_PAGES });
    // a WAL the bound filled is not trimmed back to 4 MB each time it starts over (that took a message 16–19 ms)
    const { journal_size_limit: kept } = s.db.prepare("PRAGMA journal_size_limit").get() as { journal_size_limit: number };
    expect(kept).toBeGreaterThan(WAL_BOUND_PAGES * FRAME);
    expect(kept).toBeLessThan(2 * WAL_BOUND_PAGES * FRAME);
    stop();
    expect(s.db.prepare("PRAGMA wal_autocheckpoint").get()).toEqual({ wal_autocheckpoint: SQLITE_AUTOCHECKPOINT_PAGES });
    expect(s.db.prepare("PRAGMA journal_size_limit").get()).toEqual({ journal_size_limit: WAL_SIZE_LIMIT_BYTES });
  });

  it("keep a WAL the bound filled at its size when it starts over, instead of trimming it at a message's commit", () => {
    const s = t.open();
    makeTable(s.db);
    const work = new TurnActivity();
    work.begin();
    const bound = 1500; // past db.ts's 4 MB
    const stop = checkpointWhenQuiet(sqliteBackend(s), { work, boundPages: bound, everyMs: 60_000 });
    let largest = 0;
    let smallestAfter = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 4000; i++) {
      commitPages(s.db, i);
      const size = walBytes(t.file);
      if (largest > bound * FRAME * 0.9) smallestAfter = Math.min(smallestAfter, size);
      largest = Math.max(largest, size);
    }
    stop();
    expect(largest).toBeGreaterThan(WAL_SIZE_LIMIT_BYTES);
    // SQLite started the WAL over at least twice (4,000 pages, a bound of 1,500), and its file stayed as large
    expect(smallestAfter).toBeGreaterThan(WAL_SIZE_LIMIT_BYTES);
  });

  it("flush the WAL in the thread pool while turns run, and not while none has run since", async () => {
    const s = t.open();
    makeTable(s.db);
    const work = new TurnActivity();
    const flushed: string[] = [];
    const stop = checkpointWhenQuiet(sqliteBackend(s), { work, quietMs: 1, everyMs: 5, flush: (file, done) => (flushed.push(file), setImmediate(done)) });
    const since = Date.now();
    await until(() => Date.now() - since > 30, "a few looks");
    expect(flushed).toEqual([]); // nothing was written by a turn
    work.begin();
    for (let i = 0; i < 50; i++) commitPages(s.db, i);
    await until(() => flushed.length >= 2, "flushes while the turn runs");
    work.end();
    await new Promise((r) => setTimeout(r, 150)); // the end's poke looks once more and finds no new turn
    const settled = flushed.length;
    await new Promise((r) => setTimeout(r, 150));
    stop();
    expect(flushed.length).toBe(settled); // idle: no more
    expect(new Set(flushed)).toEqual(new Set([`${t.file}-wal`]));
  });

  it("keep the WAL bounded under writes that never leave a quiet moment", async () => {
    const s = t.open();
    makeTable(s.db);
    const work = new TurnActivity();
    work.begin(); // a turn that never ends: the gateway is never quiet
    const copied: CheckpointResult[] = [];
    const bound = 300;
    const stop = checkpointWhenQuiet(sqliteBackend(s), { work, boundPages: bound, quietMs: 1, everyMs: 5, onCheckpoint: (r) => copied.push(r) });
    let largest = 0;
    for (let i = 0; i < 3000; i++) {
      commitPages(s.db, i);
      largest = Math.max(largest, walBytes(t.file));
      if (i % 50 === 0) await yieldToLoop(); // the checkpointer's timers get their turns
    }
    stop();
    // ~3,000 pages written, the WAL never much past the bound (a commit writes a page or two of index beside its row)
    expect(largest).toBeGreaterThan(bound * FRAME * 0.5);
    expect(largest).toBeLessThanOrEqual((bound + 10) * FRAME);
    expect(copied).toEqual([]); // none of them by the quiet checkpointer: a turn ran all along
  });

  it("checkpoint once no turn has run for a moment, and never while one runs", async () => {
    const s = t.open();
    makeTable(s.db);
    const work = new TurnActivity();
    const copied: CheckpointResult[] = [];
    const stop = checkpointWhenQuiet(sqliteBackend(s), { work, quietMs: 20, everyMs: 10, onCheckpoint: (r) => copied.push(r) });
    work.begin();
    for (let i = 0; i < 200; i++) commitPages(s.db, i);
    // several of the checkpointer's looks (every 10 ms) pass while the turn runs
    const since = Date.now();
    await until(() => Date.now() - since > 60, "a few looks");
    expect(copied).toEqual([]);
    work.end();
    await until(() => copied.length > 0, "the quiet checkpoint");
    stop();
    expect(copied[0]!.busy).toBe(0);
    expect(copied[0]!.log).toBeGreaterThanOrEqual(200);
    expect(copied[0]!.checkpointed).toBe(copied[0]!.log); // the whole WAL is in the database file
  });

  it("decide by the turns, the quiet time and the time since the last copy", () => {
    const s = t.open();
    makeTable(s.db);
    const work = new TurnActivity();
    let now = 0;
    const c = new QuietCheckpointer(s.db, { work, quietMs: 100, everyMs: 5000, now: () => now });
    commitPages(s.db, 1);
    work.begin();
    now = 1000;
    expect(c.look()).toBeUndefined(); // a turn runs
    work.end();
    c.workEnded();
    now = 1050;
    expect(c.look()).toBeUndefined(); // it ended 50 ms ago
    now = 1100;
    expect(c.look()?.busy).toBe(0); // quiet: copied
    commitPages(s.db, 2);
    now = 3000;
    expect(c.look()).toBeUndefined(); // copied 1.9 s ago
    now = 6100;
    expect(c.look()?.checkpointed).toBeGreaterThan(0);
    now = 20_000;
    expect(c.look()).toBeUndefined(); // nothing new since: no copy reported
  });

  it("do nothing on an in-memory database", () => {
    const db = openDatabase(":memory:");
    try {
      const stop = checkpointWhenQuiet({ kind: "sqlite", sync: { db } } as never, { work: new TurnActivity() });
      expect(db.prepare("PRAGMA wal_autocheckpoint").get()).toEqual({ wal_autocheckpoint: SQLITE_AUTOCHECKPOINT_PAGES });
      stop();
    } finally {
      db.close();
    }
  });
});

describe("a process other than the daemon (the CLI)", () => {
  it("keeps SQLite's default checkpoint, so its writes leave a bounded WAL even beside a daemon that is never quiet", async () => {
    const daemon = t.open();
    makeTable(daemon.db);
    const work = new TurnActivity();
    work.begin();
    const stop = checkpointWhenQuiet(sqliteBackend(daemon), { work });
    const cli = openDatabase(t.file);
    expect(cli.prepare("PRAGMA wal_autocheckpoint").get()).toEqual({ wal_autocheckpoint: SQLITE_AUTOCHECKPOINT_PAGES });
    let largest = 0;
    for (let i = 0; i < 4000; i++) {
      commitPages(cli, i);
      largest = Math.max(largest, walBytes(t.file));
    }
    expect(largest).toBeLessThanOrEqual((SQLITE_AUTOCHECKPOINT_PAGES + 10) * FRAME);
    cli.close();
    stop();
  });

  it("leaves no WAL behind when it was the database's only user", () => {
    const cli = openDatabase(t.file);
    makeTable(cli);
    for (let i = 0; i < 500; i++) commitPages(cli, i);
    expect(walBytes(t.file)).toBeGreaterThan(0);
    cli.close();
    expect(walBytes(t.file)).toBe(0);
  });
});

describe("a process killed with SIGKILL in the middle of a checkpoint", () => {
  it("loses no committed row", async () => {
    const storeUrl = new URL("../../src/store/index.ts", import.meta.url).href;
    const script = join(t.dir, "checkpointer.mts");
    // a WAL of ~40 MB (no automatic checkpoint), then a checkpoint that copies it into the database file
    writeFileSync(
      script,
      `import { statSync } from "node:fs";
import { openStore } from ${JSON.stringify(storeUrl)};
const s = openStore(${JSON.stringify(t.file)});
s.db.exec("PRAGMA wal_autocheckpoint = 0");
s.db.exec("CREATE TABLE filler (i INTEGER PRIMARY KEY, body BLOB)");
const insert = s.db.prepare("INSERT INTO filler (i, body) VALUES (?, randomblob(40000))");
for (let i = 0; i < 1000; i++) insert.run(i);
process.stdout.write("committed 1000 " + statSync(${JSON.stringify(t.file)}).size + "\\n");
s.db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
process.stdout.write("checkpointed\\n");
setInterval(() => {}, 1000);
`,
    );
    const child = spawn(process.execPath, [script], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once("exit", (_c, signal) => resolve(signal)));
    const lines: string[] = [];
    createInterface({ input: child.stdout }).on("line", (l) => lines.push(l));
    await until(() => lines.length > 0 || child.exitCode !== null, "the child's commits", 60_000);
    const [, count, dbSize] = /^committed (\d+) (\d+)$/.exec(lines[0] ?? "") ?? [];
    expect(count, stderr).toBe("1000");
    // the checkpoint has started once the database file grows; kill -9 then
    await until(() => statSync(t.file).size > Number(dbSize) || lines.length > 1, "the checkpoint to start", 60_000);
    child.kill("SIGKILL");
    expect(await exited).toBe("SIGKILL");
    expect(statSync(t.file).size).toBeGreaterThan(Number(dbSize));

    const s = t.open();
    expect(s.db.prepare("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
    expect(s.db.prepare("SELECT count(*) AS n, min(i) AS lo, max(i) AS hi, min(length(body)) AS len FROM filler").get()).toEqual({ n: 1000, lo: 0, hi: 999, len: 40000 });
  });
});
