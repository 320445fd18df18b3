// Backups: one .tar.gz with a consistent copy of the database (SQLite's
// online backup, safe while the gateway writes), the config and the
// workspace; restoring one puts it back. Schema migrations take their own
// copy first (VACUUM INTO, synchronous) so an upgrade can be rolled back.
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, relative, sep } from "node:path";
import { backup as sqliteBackup, DatabaseSync } from "node:sqlite";
import { SwitchboardError } from "../core/errors.ts";
import { packArchive, unpackArchive, type ArchiveEntry } from "./archive.ts";

export const MANIFEST = "switchboard-backup.json";
const FORMAT = 1;
/** migration backups kept per database */
const KEEP_MIGRATION_BACKUPS = 5;

export interface BackupPaths {
  home: string;
  dbFile: string;
  configFile: string;
  workspace: string;
}

export interface Manifest {
  format: number;
  createdAt: string;
  version: string;
  schemaVersion: number | null;
  home: string;
  config: { original: string; entry: string } | null;
  workspace: { original: string; entry: string } | null;
}

/** Files under the state directory that are never copied: the live database, run files, older backups. */
function skipped(rel: string, paths: BackupPaths): boolean {
  const db = relative(paths.home, paths.dbFile);
  if ([db, `${db}-wal`, `${db}-shm`, `${db}-journal`].includes(rel)) return true;
  if (rel === join("state", "gateway.json")) return true;
  if (rel === "backups" || rel.startsWith(`backups${sep}`)) return true;
  return /\.tmp-[0-9a-f]+$/.test(rel);
}

function walk(root: string, prefix: string, out: ArchiveEntry[], skip: (rel: string) => boolean, relBase = root): void {
  for (const name of readdirSync(root).sort()) {
    const full = join(root, name);
    const rel = relative(relBase, full);
    if (skip(rel)) continue;
    const st = lstatSync(full);
    const entry = `${prefix}${rel.split(sep).join("/")}`;
    if (st.isDirectory()) {
      out.push({ name: `${entry}/`, mode: st.mode & 0o777, mtimeMs: st.mtimeMs });
      walk(full, prefix, out, skip, relBase);
    } else if (st.isFile()) {
      out.push({ name: entry, data: readFileSync(full), mode: st.mode & 0o777, mtimeMs: st.mtimeMs });
    }
  }
}

function inside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel !== "" && !rel.startsWith("..") && !rel.startsWith(sep);
}

function schemaOf(file: string): number {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    return (db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version;
  } finally {
    db.close();
  }
}

/** Writes the backup archive to `dest` (mode 0600: it holds secrets and conversations). */
export async function createBackup(paths: BackupPaths, dest: string, version: string): Promise<{ file: string; files: number; bytes: number }> {
  const entries: ArchiveEntry[] = [];
  let schemaVersion: number | null = null;
  if (existsSync(paths.dbFile)) {
    // the online backup copies page by page and restarts when another
    // connection writes, so the copy is one consistent state of the file
    const tmp = join(tmpdir(), `switchboard-backup-${process.pid}-${Date.now()}.db`);
    const src = new DatabaseSync(paths.dbFile, { timeout: 5000 });
    try {
      await sqliteBackup(src, tmp);
    } finally {
      src.close();
    }
    schemaVersion = schemaOf(tmp);
    entries.push({ name: relative(paths.home, paths.dbFile).split(sep).join("/"), data: readFileSync(tmp), mode: 0o600 });
    rmSync(tmp, { force: true });
  }
  if (existsSync(paths.home)) walk(paths.home, "", entries, (rel) => skipped(rel, paths) || join(paths.home, rel) === dest);
  let config: Manifest["config"] = null;
  if (existsSync(paths.configFile)) {
    const entry = inside(paths.configFile, paths.home) ? relative(paths.home, paths.configFile).split(sep).join("/") : "external/config.json";
    if (entry.startsWith("external/")) entries.push({ name: entry, data: readFileSync(paths.configFile), mode: 0o600 });
    config = { original: paths.configFile, entry };
  }
  let workspace: Manifest["workspace"] = null;
  if (existsSync(paths.workspace)) {
    const entry = inside(paths.workspace, paths.home) ? relative(paths.home, paths.workspace).split(sep).join("/") : "external/workspace";
    if (entry.startsWith("external/")) walk(paths.workspace, "external/workspace/", entries, () => false);
    workspace = { original: paths.workspace, entry };
  }
  const manifest: Manifest = { format: FORMAT, createdAt: new Date().toISOString(), version, schemaVersion, home: paths.home, config, workspace };
  entries.unshift({ name: MANIFEST, data: Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`), mode: 0o600 });
  const archive = packArchive(entries);
  mkdirSync(dirname(dest), { recursive: true, mode: 0o700 });
  const tmp = `${dest}.tmp-${process.pid}`;
  writeFileSync(tmp, archive, { mode: 0o600 });
  renameSync(tmp, dest);
  return { file: dest, files: entries.filter((e) => !e.name.endsWith("/")).length, bytes: archive.length };
}

const SQLITE_MAGIC = Buffer.from("SQLite format 3\0");

/** Puts the database file `data` in place of the live one (its WAL and SHM go first). */
function replaceDatabase(dbFile: string, data: Buffer, knownSchema: number): void {
  mkdirSync(dirname(dbFile), { recursive: true, mode: 0o700 });
  const tmp = `${dbFile}.restore-${process.pid}`;
  writeFileSync(tmp, data, { mode: 0o600 });
  const found = schemaOf(tmp);
  if (found > knownSchema) {
    rmSync(tmp, { force: true });
    throw new SwitchboardError("store", `this backup's database has schema version ${found}, newer than this Switchboard knows (${knownSchema}); upgrade Switchboard, then restore it`);
  }
  for (const suffix of ["-wal", "-shm", "-journal"]) rmSync(`${dbFile}${suffix}`, { force: true });
  renameSync(tmp, dbFile);
}

/**
 * Restores a backup archive (or a bare .db file, e.g. a migration backup)
 * into `paths`. The gateway must be stopped. Files in the state directory
 * that the backup does not contain are left alone.
 */
export function restoreBackup(file: string, paths: BackupPaths, knownSchema: number): { restored: number; manifest: Manifest | null } {
  const raw = readFileSync(file);
  if (raw.subarray(0, SQLITE_MAGIC.length).equals(SQLITE_MAGIC)) {
    replaceDatabase(paths.dbFile, raw, knownSchema);
    return { restored: 1, manifest: null };
  }
  const entries = unpackArchive(raw, file);
  const m = entries.find((e) => e.name === MANIFEST);
  if (!m?.data) throw new SwitchboardError("usage", `${file} is not a Switchboard backup (no ${MANIFEST} inside)`);
  const manifest = JSON.parse(m.data.toString("utf8")) as Manifest;
  if (manifest.format !== FORMAT) throw new SwitchboardError("usage", `${file} is a backup in format ${manifest.format}; this Switchboard reads format ${FORMAT}`);
  if (manifest.schemaVersion !== null && manifest.schemaVersion > knownSchema) {
    throw new SwitchboardError("store", `${file} holds a database with schema version ${manifest.schemaVersion}, newer than this Switchboard knows (${knownSchema}); upgrade Switchboard (${manifest.version} made it), then restore`);
  }
  const dbEntry = relative(paths.home, paths.dbFile).split(sep).join("/");
  let restored = 0;
  for (const e of entries) {
    if (e.name === MANIFEST) continue;
    let target: string;
    if (manifest.config && e.name === manifest.config.entry) target = paths.configFile;
    else if (manifest.workspace?.entry.startsWith("external/") && (e.name === `${manifest.workspace.entry}/` || e.name.startsWith(`${manifest.workspace.entry}/`))) target = join(paths.workspace, e.name.slice(manifest.workspace.entry.length + 1));
    else if (e.name.startsWith("external/")) continue;
    else target = join(paths.home, e.name);
    if (e.name.endsWith("/")) {
      mkdirSync(target, { recursive: true, mode: e.mode ?? 0o700 });
      continue;
    }
    if (e.name === dbEntry) {
      replaceDatabase(paths.dbFile, e.data!, knownSchema);
    } else {
      mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
      const tmp = `${target}.tmp-${process.pid.toString(16)}`;
      writeFileSync(tmp, e.data!, { mode: e.mode ?? 0o600 });
      renameSync(tmp, target);
    }
    restored++;
  }
  return { restored, manifest };
}

/** <dir of the database>/backups */
export function backupsDir(dbFile: string): string {
  return join(dirname(dbFile), "backups");
}

/**
 * Before a schema migration: a consistent copy of the database as it is,
 * named after its schema version. Old ones beyond the last few are removed.
 */
export function backupBeforeMigration(db: DatabaseSync, dbFile: string, fromVersion: number, toVersion: number): string {
  const dir = backupsDir(dbFile);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const dest = join(dir, `${basename(dbFile, ".db")}-schema${fromVersion}-before-schema${toVersion}-${stamp}.db`);
  db.prepare("VACUUM INTO ?").run(dest);
  const old = migrationBackups(dbFile).slice(KEEP_MIGRATION_BACKUPS);
  for (const f of old) rmSync(f, { force: true });
  return dest;
}

/** migration backups of this database, newest first */
export function migrationBackups(dbFile: string): string[] {
  const dir = backupsDir(dbFile);
  if (!existsSync(dir)) return [];
  const stem = basename(dbFile, ".db");
  return readdirSync(dir)
    .filter((f) => f.startsWith(`${stem}-schema`) && f.endsWith(".db"))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs || b.localeCompare(a));
}

/** the newest migration backup a build knowing schema `known` can open */
export function usableMigrationBackup(dbFile: string, known: number): string | undefined {
  return migrationBackups(dbFile).find((f) => {
    const m = /-schema(\d+)-before-/.exec(basename(f));
    return m !== null && Number(m[1]) <= known;
  });
}
