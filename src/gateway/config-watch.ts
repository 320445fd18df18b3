// Watches the config file by its PATH, not its inode. Editors, `sed -i` and
// `switchboard config set` save by writing a new file and renaming it over
// the old one; a watch that stayed on the replaced inode would miss every
// later edit. So each look re-arms the watch on the inode the path names now,
// and the path's stat is polled as a safety net (filesystems without
// inotify, a file deleted and written again, a symlinked file swapped
// underneath). Events are debounced and the content hashed: a save that
// changes nothing, or a touch, does not reload. Truncation, deletion and
// re-creation all count as changes; the reload decides what to make of an
// empty or missing file. The secrets file beside it (.security.yml, laid
// over the config by the loader) is watched and hashed with it; files named
// by `$include` are read on every reload but not watched (SIGHUP or
// `switchboard reload` after editing one).
//
// The files are watched, not their folder: the database and its WAL live in
// the same folder by default, and a folder watch woke the daemon on its own
// commits (an inotify event per commit, ~40 µs of CPU for every ~16 page
// writes; bench/README.md).
import { createHash } from "node:crypto";
import { readFileSync, unwatchFile, watch, watchFile, type FSWatcher, type Stats } from "node:fs";
import { dirname, join } from "node:path";
import { SECURITY_FILE } from "../config/security.ts";
import type { Logger } from "../core/logger.ts";

/** The config file as it is on disk right now. */
export type ConfigSnapshot =
  | { state: "missing"; hash: string }
  | { state: "unreadable"; hash: string; error: string }
  | { state: "present"; hash: string; text: string };

/** The secrets file the loader lays over the config: its edits reload too. */
function companionOf(file: string): string {
  return join(dirname(file), SECURITY_FILE);
}

function readOptional(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

export function readConfigSnapshot(file: string): ConfigSnapshot {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return { state: "missing", hash: "missing" };
    return { state: "unreadable", hash: `unreadable:${code ?? "?"}`, error: code ?? (err as Error).message };
  }
  const hash = createHash("sha256").update(text).update("\0").update(readOptional(companionOf(file))).digest("hex");
  return { state: "present", hash, text };
}

export interface ConfigWatchOptions {
  file: string;
  /** called once the file settled with content different from the last seen */
  onChange: () => void;
  /** called when an event brought the content already seen (a touch, a same-content save) */
  onUnchanged?: () => void;
  logger: Logger;
  /** quiet time after the last event before looking; default 300 ms */
  debounceMs?: number;
  /** stat polling interval of the safety net; default 2 s */
  pollMs?: number;
  /** how a file is watched (tests count the events that reach the process); default fs.watch */
  watch?: (path: string, opts: { persistent: boolean }, listener: () => void) => FSWatcher;
}

export class ConfigWatcher {
  private readonly opts: ConfigWatchOptions;
  /** the config file and the secrets file beside it */
  private readonly paths: string[];
  /** a watch on the inode each present path names; re-armed at every look */
  private readonly fileWatchers = new Map<string, FSWatcher>();
  private timer: NodeJS.Timeout | undefined;
  private lastSeen: string | undefined;
  private closed = false;
  private readonly onStat = (cur: Stats, prev: Stats) => {
    if (cur.mtimeMs !== prev.mtimeMs || cur.ino !== prev.ino || cur.size !== prev.size || cur.nlink !== prev.nlink) this.poke();
  };

  constructor(opts: ConfigWatchOptions) {
    this.opts = opts;
    this.paths = [opts.file, companionOf(opts.file)];
  }

  /** starts watching; `seenHash` is the content the running config was built from */
  start(seenHash: string): void {
    this.lastSeen = seenHash;
    this.armFileWatchers();
    for (const path of this.paths) watchFile(path, { interval: this.opts.pollMs ?? 2000, persistent: false }, this.onStat);
  }

  /** the daemon read the file itself (SIGHUP, `switchboard reload`): that content is seen */
  noteSeen(hash: string): void {
    this.lastSeen = hash;
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    for (const w of this.fileWatchers.values()) w.close();
    this.fileWatchers.clear();
    for (const path of this.paths) unwatchFile(path, this.onStat);
  }

  /**
   * Watches the inode each path names now (a rename-save put a new one
   * there). A missing file has no watch; the stat poll sees it appear.
   */
  private armFileWatchers(): void {
    const watchPath = this.opts.watch ?? watch;
    for (const path of this.paths) {
      this.fileWatchers.get(path)?.close();
      this.fileWatchers.delete(path);
      try {
        const w = watchPath(path, { persistent: false }, () => this.poke());
        // the inode went away (deleted, or replaced by a rename): the next look re-arms
        w.on("error", () => {
          w.close();
          if (this.fileWatchers.get(path) === w) this.fileWatchers.delete(path);
        });
        this.fileWatchers.set(path, w);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== "ENOENT" && code !== "ENOTDIR") this.opts.logger.debug({ path, err: (err as Error).message }, "config file cannot be watched; polling it instead");
      }
    }
  }

  private poke(): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.settle(), this.opts.debounceMs ?? 300);
    this.timer.unref();
  }

  private settle(): void {
    this.timer = undefined;
    if (this.closed) return;
    // re-armed before the read: a save after this point wakes the new watch, one before it is in what is read
    this.armFileWatchers();
    const snap = readConfigSnapshot(this.opts.file);
    if (snap.hash === this.lastSeen) {
      this.opts.onUnchanged?.();
      return;
    }
    this.lastSeen = snap.hash;
    this.opts.onChange();
  }
}
