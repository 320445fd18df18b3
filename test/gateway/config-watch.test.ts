// The config watcher follows the path: every way a file gets saved, emptied,
// deleted and written again is seen; a touch or a same-content save is not.
import { appendFileSync, mkdtempSync, renameSync, rmSync, truncateSync, unlinkSync, utimesSync, watch, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLogger } from "../../src/core/logger.ts";
import { ConfigWatcher, readConfigSnapshot } from "../../src/gateway/config-watch.ts";

let dir: string;
let file: string;
let watcher: ConfigWatcher | undefined;
let changes: number;
let unchanged: number;

/** file-watch events that reached the process */
let events: number;

/** a watcher over `file`; pollMs long: only the file watches can see a change in a test's time */
function startWatcher(pollMs: number): void {
  watcher?.close();
  watcher = new ConfigWatcher({
    file,
    onChange: () => changes++,
    onUnchanged: () => unchanged++,
    logger: createLogger({ level: "silent" }),
    debounceMs: 50,
    pollMs,
    watch: (path, opts, listener) => watch(path, opts, () => {
      events++;
      listener();
    }),
  });
  watcher.start(readConfigSnapshot(file).hash);
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "sb-watch-"));
  file = join(dir, "config.json");
  writeFileSync(file, '{"a": 1}');
  changes = 0;
  unchanged = 0;
  events = 0;
  startWatcher(100);
});
afterEach(() => {
  watcher?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function until(n: number, counter = () => changes): Promise<void> {
  const end = Date.now() + 5000;
  while (counter() < n) {
    if (Date.now() > end) throw new Error(`expected ${n}, saw ${counter()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** an event the watcher looks at and finds nothing new in: no change reported */
async function noChangeFrom(action: () => void): Promise<void> {
  const before = { changes, unchanged };
  action();
  await until(before.unchanged + 1, () => unchanged);
  expect(changes).toBe(before.changes);
}

function renameSave(text: string): void {
  const tmp = join(dir, `.tmp-${Math.random()}`);
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

describe("ConfigWatcher", () => {
  it("sees rename-saves one after another (the inode changes each time)", async () => {
    renameSave('{"a": 2}');
    await until(1);
    renameSave('{"a": 3}');
    await until(2);
    renameSave('{"a": 4}');
    await until(3);
  });

  it("sees truncation, deletion and re-creation", async () => {
    truncateSync(file, 0);
    await until(1);
    expect(readConfigSnapshot(file)).toMatchObject({ state: "present", text: "" });
    unlinkSync(file);
    await until(2);
    expect(readConfigSnapshot(file).state).toBe("missing");
    writeFileSync(file, '{"a": 5}');
    await until(3);
  });

  it("sees the secrets file beside the config being written, changed and removed", async () => {
    // a missing file is seen appearing by the stat poll, whose first look (in the thread pool) is its
    // starting point: a file written before that look would be part of it
    await new Promise((r) => setTimeout(r, 300));
    writeFileSync(join(dir, ".security.yml"), "channels:\n  telegram:\n    token: one\n");
    await until(1);
    writeFileSync(join(dir, ".security.yml"), "channels:\n  telegram:\n    token: two\n");
    await until(2);
    unlinkSync(join(dir, ".security.yml"));
    await until(3);
  });

  it("ignores a touch and a save of the same content", async () => {
    await noChangeFrom(() => utimesSync(file, new Date(), new Date(Date.now() + 5000)));
    const same = readConfigSnapshot(file) as { text: string };
    await noChangeFrom(() => renameSave(same.text));
  });

  it("skips content the daemon already read itself", async () => {
    await noChangeFrom(() => {
      writeFileSync(file, '{"a": 9}');
      watcher!.noteSeen(readConfigSnapshot(file).hash);
    });
  });

  it("hears rename-saves, in-place writes and the secrets file through its file watches alone", async () => {
    writeFileSync(join(dir, ".security.yml"), "channels: {}\n");
    startWatcher(60_000);
    renameSave('{"a": 2}');
    await until(1);
    renameSave('{"a": 3}');
    await until(2);
    writeFileSync(file, '{"a": 4}');
    await until(3);
    truncateSync(file, 0);
    await until(4);
    renameSave('{"a": 5}');
    await until(5);
    writeFileSync(join(dir, ".security.yml"), "channels:\n  telegram:\n    token: three\n");
    await until(6);
  });

  it("is not woken by writes to other files in its folder (the database and its WAL live there)", async () => {
    startWatcher(60_000);
    for (let i = 0; i < 200; i++) appendFileSync(join(dir, "switchboard.db-wal"), "frame");
    writeFileSync(join(dir, "switchboard.db"), "page");
    await new Promise((r) => setTimeout(r, 150));
    expect(events).toBe(0);
    renameSave('{"a": 6}');
    await until(1);
    expect(events).toBeGreaterThan(0);
  });
});
