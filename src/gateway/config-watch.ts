// Watches the config file by its PATH, not its inode. Editors, `sed -i` and
// `switchboard config set` save by writing a new file and renaming it over
// the old one; a watch on the file itself would keep following the replaced
// inode and miss every later edit. So this watches the directory for events
// naming the file, and polls the path's stat as a safety net (filesystems
// without inotify, a symlinked file swapped underneath). Events are debounced
// and the content hashed: a save that changes nothing, or a touch, does not
// reload. Truncation, deletion and re-creation all count as changes; the
// reload decides what to make of an empty or missing file. The secrets file
// beside it (.security.yml, laid over the config by the loader) is watched
// and hashed with it; files named by `$include` are read on every reload but
// not watched (SIGHUP or `switchboard reload` after editing one).
import { createHash } from "node:crypto";
import { readFileSync, unwatchFile, watch, watchFile, type FSWatcher, type Stats } from "node:fs";
import { basename, dirname, join } from "node:path";
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
}

export class ConfigWatcher {
  private readonly opts: ConfigWatchOptions;
  private dirWatcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastSeen: string | undefined;
  private closed = false;
  private readonly onStat = (cur: Stats, prev: Stats) => {
    if (cur.mtimeMs !== prev.mtimeMs || cur.ino !== prev.ino || cur.size !== prev.size || cur.nlink !== prev.nlink) this.poke();
  };

  constructor(opts: ConfigWatchOptions) {
    this.opts = opts;
  }

  /** starts watching; `seenHash` is the content the running config was built from */
  start(seenHash: string): void {
    this.lastSeen = seenHash;
    this.watchDirectory();
    watchFile(this.opts.file, { interval: this.opts.pollMs ?? 2000, persistent: false }, this.onStat);
  }

  /** the daemon read the file itself (SIGHUP, `switchboard reload`): that content is seen */
  noteSeen(hash: string): void {
    this.lastSeen = hash;
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.dirWatcher?.close();
    unwatchFile(this.opts.file, this.onStat);
  }

  private watchDirectory(): void {
    const names = new Set([basename(this.opts.file), SECURITY_FILE]);
    try {
      this.dirWatcher = watch(dirname(this.opts.file), { persistent: false }, (_event, changed) => {
        // some platforms give no name; then any event in the folder is worth a look
        if (!changed || names.has(changed.toString())) this.poke();
      });
      this.dirWatcher.on("error", () => {
        // the folder itself went away: the stat poll keeps watching the path and re-arms this
        this.dirWatcher?.close();
        this.dirWatcher = undefined;
      });
    } catch (err) {
      this.dirWatcher = undefined;
      this.opts.logger.debug({ err: (err as Error).message }, "config folder cannot be watched; polling the file instead");
    }
  }

  private poke(): void {
    if (this.closed) return;
    if (!this.dirWatcher) this.watchDirectory();
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.settle(), this.opts.debounceMs ?? 300);
    this.timer.unref();
  }

  private settle(): void {
    this.timer = undefined;
    if (this.closed) return;
    const snap = readConfigSnapshot(this.opts.file);
    if (snap.hash === this.lastSeen) {
      this.opts.onUnchanged?.();
      return;
    }
    this.lastSeen = snap.hash;
    this.opts.onChange();
  }
}
