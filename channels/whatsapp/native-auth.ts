// The native mode's credential directory. Whoever reads these files can act
// as the linked WhatsApp device, so the directory is 0700 and every file in
// it 0600. The default store (native-store.ts) creates every file 0600; the
// guard below also tightens what another store wrote with the default mode
// (baileys' own useMultiFileAuthState, an injected loader, files left by an
// older version): creds.json after each save, and the signal keys (pre-keys,
// sessions, ...) after every key-store write.
import { chmod, mkdir, readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "../../src/core/logger.ts";
import type { WaAuthState, WaAuthStateLoader } from "./native-types.ts";
import { errorMessage } from "../../src/core/errors.ts";

export const DIR_MODE = 0o700;
export const FILE_MODE = 0o600;

/** creates the directory (0700), or tightens one that exists */
export async function prepareAuthDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: DIR_MODE });
    const info = await stat(dir);
    if (!info.isDirectory()) throw new Error("it is not a directory");
    if ((info.mode & 0o777) !== DIR_MODE) await chmod(dir, DIR_MODE);
  } catch (err) {
    const why = errorMessage(err);
    throw new Error(
      `cannot use ${dir} for the WhatsApp session (${why}): fix channels.whatsapp.session_store_path or the directory's owner`,
    );
  }
}

/** Keeps the files of one directory at 0600; runs are serialized. */
export class AuthFileGuard {
  private readonly dir: string;
  private readonly log: Logger;
  private known = new Set<string>();
  private running: Promise<void> = Promise.resolve();

  constructor(dir: string, log: Logger) {
    this.dir = dir;
    this.log = log;
  }

  /** chmods files not seen before (a removed and rewritten file counts as new) */
  tighten(): Promise<void> {
    this.running = this.running.then(() => this.run());
    return this.running;
  }

  private async run(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      this.log.warn({ err: errorMessage(err) }, "cannot list the WhatsApp session directory");
      return;
    }
    const next = new Set<string>();
    for (const name of names) {
      next.add(name);
      if (this.known.has(name)) continue;
      const path = join(this.dir, name);
      try {
        const info = await stat(path);
        if (info.isFile() && (info.mode & 0o777) !== FILE_MODE) await chmod(path, FILE_MODE);
      } catch {
        next.delete(name); // gone meanwhile, or not ours to change: look again next time
      }
    }
    this.known = next;
  }
}

export interface GuardedAuth {
  state: WaAuthState;
  /** saves creds.json and tightens it */
  saveCreds(): Promise<void>;
  /** whether this directory holds a paired device */
  paired(): boolean;
}

/**
 * Loads the credential store of `dir` (created 0700 first) with key-store
 * writes and credential saves followed by a chmod to 0600.
 */
export async function loadGuardedAuth(dir: string, loader: WaAuthStateLoader, log: Logger): Promise<GuardedAuth> {
  await prepareAuthDir(dir);
  const guard = new AuthFileGuard(dir, log);
  await guard.tighten();
  const { state, saveCreds } = await loader(dir);
  const keys = state.keys;
  const guarded: WaAuthState = {
    creds: state.creds,
    keys: {
      get: (type, ids) => keys.get(type, ids),
      set: async (data) => {
        await keys.set(data);
        await guard.tighten();
      },
      ...(keys.clear ? { clear: () => keys.clear!() } : {}),
    },
  };
  return {
    state: guarded,
    saveCreds: async () => {
      await saveCreds();
      await guard.tighten();
    },
    paired: () => Boolean(state.creds.me?.id),
  };
}

/** removes a logged-out session's files (the directory itself stays, 0700) */
export async function clearAuthDir(dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  await Promise.all(names.map((name) => rm(join(dir, name), { recursive: true, force: true })));
}
