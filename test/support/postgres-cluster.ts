// A throw-away PostgreSQL cluster for the tests: initdb in a temp directory,
// a server on a free loopback port, trust authentication (it listens on
// 127.0.0.1 only and lives for one test run), fsync off (nothing in it has to
// survive a power cut). One implementation for both callers: vitest's global
// setup (test/support/postgres-setup.ts) and .ci/run, which starts one cluster
// for the whole run through this file's command line:
//
//   node test/support/postgres-cluster.ts start   → prints two lines: URL, directory
//   node test/support/postgres-cluster.ts stop <directory>
//
// PostgreSQL refuses to run as root, so under root the server runs as the
// `postgres` user Debian's package creates.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Cluster {
  /** superuser URL of the cluster's default database */
  url: string;
  /** the temp directory holding data and socket; give it to stopCluster */
  dir: string;
}

const INSTALL_HINT = "install Debian's PostgreSQL (apt-get install postgresql), or set SWITCHBOARD_TEST_PG_URL=postgres://user@127.0.0.1:port/db to use a running server";

/** The newest installed server's bin directory (Debian keeps servers under /usr/lib/postgresql/<major>/bin). */
export function findPostgresBin(): string {
  const root = "/usr/lib/postgresql";
  const majors = existsSync(root) ? readdirSync(root).filter((d) => /^\d+$/.test(d)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const major of majors) {
    const bin = join(root, major, "bin");
    if (existsSync(join(bin, "initdb")) && existsSync(join(bin, "pg_ctl"))) return bin;
  }
  const which = spawnSync("sh", ["-c", "command -v initdb"], { encoding: "utf8" });
  const initdb = which.stdout.trim();
  if (which.status === 0 && initdb) return join(initdb, "..");
  throw new Error(`the PostgreSQL tests need a PostgreSQL server and none is installed: ${INSTALL_HINT}`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === "object" ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

function runAs(): { user?: string } {
  if (process.getuid?.() !== 0) return {};
  const id = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
  if (id.status !== 0) throw new Error(`PostgreSQL cannot run as root and there is no "postgres" user: ${INSTALL_HINT}`);
  return { user: "postgres" };
}

function run(bin: string, args: string[], user: string | undefined): void {
  const [cmd, argv] = user ? ["runuser", ["-u", user, "--", bin, ...args]] : [bin, args];
  const res = spawnSync(cmd, argv, { encoding: "utf8", cwd: tmpdir() });
  if (res.status !== 0) {
    const out = `${res.stdout ?? ""}${res.stderr ?? ""}`.trim().split("\n").slice(-8).join("\n");
    throw new Error(`${bin.split("/").pop()} failed (exit ${res.status ?? res.signal}): ${out || res.error?.message}`);
  }
}

/**
 * Starts a cluster. With `ownerPid`, a detached watchdog stops and removes it
 * once that process is gone, so a test run that is killed (Ctrl-C, kill -9,
 * a timeout) leaves no server behind.
 */
export async function startCluster(opts: { ownerPid?: number } = {}): Promise<Cluster> {
  const bin = findPostgresBin();
  const { user } = runAs();
  const dir = mkdtempSync(join(tmpdir(), "switchboard-pg-"));
  const data = join(dir, "data");
  if (user) {
    const uid = Number(execFileSync("id", ["-u", user], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", user], { encoding: "utf8" }).trim());
    chownSync(dir, uid, gid);
  }
  chmodSync(dir, 0o700);
  const superuser = user ?? "postgres";
  run(join(bin, "initdb"), ["-D", data, "-U", superuser, "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"], user);
  const port = await freePort();
  const options = [
    `-p ${port}`,
    "-c listen_addresses=127.0.0.1",
    `-c unix_socket_directories=${dir}`,
    "-c fsync=off",
    "-c synchronous_commit=off",
    "-c full_page_writes=off",
    "-c max_connections=300",
    "-c shared_buffers=64MB",
  ].join(" ");
  run(join(bin, "pg_ctl"), ["-D", data, "-l", join(dir, "server.log"), "-o", options, "-w", "-t", "60", "start"], user);
  writeFileSync(join(dir, "bin"), bin);
  if (opts.ownerPid) watchOwner(opts.ownerPid, dir);
  return { url: `postgres://${superuser}@127.0.0.1:${port}/postgres`, dir };
}

export function stopCluster(dir: string): void {
  if (!existsSync(join(dir, "data"))) return;
  const bin = existsSync(join(dir, "bin")) ? readBin(dir) : findPostgresBin();
  try {
    run(join(bin, "pg_ctl"), ["-D", join(dir, "data"), "-m", "immediate", "-w", "stop"], runAs().user);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function watchOwner(pid: number, dir: string): void {
  const script = `while kill -0 ${pid} 2>/dev/null; do sleep 2; done; exec "${process.execPath}" "${import.meta.filename}" stop "${dir}"`;
  spawn("sh", ["-c", script], { detached: true, stdio: "ignore" }).unref();
}

function readBin(dir: string): string {
  return readFileSync(join(dir, "bin"), "utf8").trim();
}

if (import.meta.main) {
  const [verb, dir] = process.argv.slice(2);
  if (verb === "start") {
    const cluster = await startCluster();
    process.stdout.write(`${cluster.url}\n${cluster.dir}\n`);
  } else if (verb === "stop" && dir) {
    stopCluster(dir);
  } else {
    process.stderr.write("usage: postgres-cluster.ts start | stop <directory>\n");
    process.exit(2);
  }
}
