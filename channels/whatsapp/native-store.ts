// The native mode's credential files, in the layout of baileys'
// useMultiFileAuthState (creds.json plus one `<type>-<id>.json` per signal
// key, JSON with baileys' Buffer encoding), so a session directory written by
// either loads in the other. What differs is how a file is written: baileys
// writes in place with the default mode (0644 under the usual umask), so for
// a moment after each save whoever can read the directory could read the
// device's keys, and a crash mid-write leaves a truncated creds.json. Here
// every write goes to a temporary file created 0600 and is renamed over the
// old one: the file is private from its first byte and always whole.
import { randomBytes } from "node:crypto";
import { mkdir, readFile, readdir, rename, rm, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { WaAuthState } from "./native-types.ts";

const FILE_MODE = 0o600;
const TMP_MARK = ".tmp-";

/** what of baileys this store needs (passed in so baileys is imported only when the channel starts) */
export interface BaileysAuthKit {
  initAuthCreds(): unknown;
  BufferJSON: { replacer(key: string, value: unknown): unknown; reviver(key: string, value: unknown): unknown };
  /** turns a stored app-state sync key back into baileys' message type */
  appStateSyncKey(value: unknown): unknown;
}

/** baileys' file naming: `/` and `:` cannot be in a file name */
const fileName = (name: string) => name.replace(/\//g, "__").replace(/:/g, "-");

export async function privateFileAuthState(dir: string, kit: BaileysAuthKit): Promise<{ state: WaAuthState; saveCreds: () => Promise<void> }> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // a temporary file left by a crash mid-write: the renamed-over original is intact
  for (const name of await readdir(dir)) if (name.includes(TMP_MARK)) await rm(join(dir, name), { force: true });
  // writes of one file happen in order; different files go in parallel
  const queues = new Map<string, Promise<unknown>>();
  const inOrder = <T>(name: string, job: () => Promise<T>): Promise<T> => {
    const next = (queues.get(name) ?? Promise.resolve()).then(job, job);
    const settled = next.catch(() => undefined);
    queues.set(name, settled);
    void settled.then(() => queues.get(name) === settled && queues.delete(name));
    return next;
  };
  const write = (name: string, data: unknown) =>
    inOrder(name, async () => {
      const path = join(dir, fileName(name));
      const tmp = `${path}${TMP_MARK}${randomBytes(6).toString("hex")}`;
      try {
        await writeFile(tmp, JSON.stringify(data, kit.BufferJSON.replacer), { mode: FILE_MODE, flag: "wx" });
        await rename(tmp, path);
      } catch (err) {
        await rm(tmp, { force: true });
        throw err;
      }
    });
  const read = (name: string) =>
    inOrder(name, async () => {
      try {
        return JSON.parse(await readFile(join(dir, fileName(name)), "utf8"), kit.BufferJSON.reviver) as unknown;
      } catch {
        return null; // absent or unreadable: baileys treats both as "no such key"
      }
    });
  const remove = (name: string) => inOrder(name, () => unlink(join(dir, fileName(name))).catch(() => undefined));

  const creds = ((await read("creds.json")) ?? kit.initAuthCreds()) as WaAuthState["creds"];
  return {
    state: {
      creds,
      keys: {
        get: async (type, ids) => {
          const out: Record<string, unknown> = {};
          await Promise.all(
            ids.map(async (id) => {
              const value = await read(`${type}-${id}.json`);
              out[id] = type === "app-state-sync-key" && value ? kit.appStateSyncKey(value) : value;
            }),
          );
          return out;
        },
        set: async (data) => {
          const jobs: Promise<unknown>[] = [];
          for (const [type, byId] of Object.entries(data)) {
            for (const [id, value] of Object.entries(byId ?? {})) {
              const name = `${type}-${id}.json`;
              jobs.push(value ? write(name, value) : remove(name));
            }
          }
          await Promise.all(jobs);
        },
      },
    },
    saveCreds: () => write("creds.json", creds),
  };
}
