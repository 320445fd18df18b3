// How a command reaches the store: where store.url or SWITCHBOARD_DATABASE_URL
// points (else the SQLite file in the state directory), opened through
// openBackend like the gateway does, so `agent`, `pairing`, `cron`, `status`,
// `doctor` and `store` act on the same data the gateways use. A store that cannot be
// used is one line naming the setting (password masked), what went wrong
// and the fix: exit 78 when the setting itself is wrong (unknown user, wrong
// password, no such database), 1 when the server is down or unreachable.
import { ConfigError, EXIT_CONFIG, SwitchboardError } from "../core/errors.ts";
import { redact, redactUrl } from "../core/redact.ts";
import type { StoreBackend } from "../store/backend.ts";
import { storeFault } from "../store/health.ts";
import { storeLocation, type StoreLocation } from "../store/location.ts";
import { openBackend } from "../store/open.ts";
import type { CliContext } from "./main.ts";
import { commandSetup, type CommandSetup } from "./setup.ts";

/** a command waits this long for PostgreSQL to accept a connection (the gateway waits 10 s) */
export const CLI_CONNECT_TIMEOUT_MS = 5000;

/**
 * The store a command acts on, from the loaded config and the environment. A
 * URL that is not a store URL (store.url is checked with the config already;
 * this is SWITCHBOARD_DATABASE_URL) is one line naming it, exit 78.
 */
export function commandStoreLocation(setup: CommandSetup, env: NodeJS.ProcessEnv): StoreLocation {
  try {
    return storeLocation(setup.loaded.config.store.url, env, setup.paths.home, setup.paths.dbFile);
  } catch (err) {
    const p = err instanceof ConfigError && err.problems.length === 1 ? err.problems[0]! : undefined;
    if (!p) throw err;
    throw new SwitchboardError("config_invalid", `${p.path}: ${p.message}${p.hint ? ` (fix: ${p.hint})` : ""}`, { exitCode: EXIT_CONFIG, cause: err });
  }
}

/** The location fit for display: the SQLite file, or the URL with its password masked. */
export function shownLocation(location: StoreLocation): string {
  return location.kind === "sqlite" ? location.file : redactUrl(location.url);
}

/** A PostgreSQL database a command was pointed at: by the store's settings, or by a flag (`store copy --to`). */
export type PgTarget = { kind: "postgres"; url: string; from: StoreLocation["from"] | "--to" };

/** The setting to change, for messages: the config key, the environment variable or the flag. */
function settingName(location: StoreLocation | PgTarget): string {
  return location.from === "default" ? "the store" : location.from;
}

export interface StoreProblem {
  /** the whole sentence: which store, and what went wrong */
  what: string;
  /** only what went wrong, for a caller that names the store itself */
  reason: string;
  fix: string;
  exitCode: number;
}

/** Every error object behind `err`: its causes, and the attempts of an AggregateError (localhost tries ::1 and 127.0.0.1). */
function errorChain(err: unknown): { code?: unknown; message?: unknown }[] {
  const out: { code?: unknown; message?: unknown }[] = [];
  const walk = (e: unknown, depth: number) => {
    if (!e || typeof e !== "object" || depth > 6) return;
    out.push(e as { code?: unknown });
    if (e instanceof AggregateError) for (const inner of e.errors) walk(inner, depth + 1);
    walk((e as { cause?: unknown }).cause, depth + 1);
  };
  walk(err, 0);
  return out;
}

/** The message of the error that started it: a wrapper's own words only when nothing is under it. */
function innermostMessage(err: unknown): string {
  const chain = errorChain(err).filter((e) => typeof e.message === "string" && e.message !== "");
  const inner = chain.filter((e) => !(e instanceof SwitchboardError)).at(-1) ?? chain.at(-1);
  return typeof inner?.message === "string" ? inner.message : String(err);
}

function firstCode(err: unknown, wanted: readonly string[]): string | undefined {
  for (const e of errorChain(err)) if (typeof e.code === "string" && wanted.includes(e.code)) return e.code;
  return undefined;
}

const NETWORK = ["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ECONNRESET", "57P01", "57P03", "STORE_UNREACHABLE"] as const;
const SETTING = ["28P01", "28000", "3D000"] as const;

function pgProblem(location: PgTarget, err: unknown): StoreProblem {
  const key = settingName(location);
  const u = new URL(location.url);
  const host = `${u.hostname || "localhost"}:${u.port || "5432"}`;
  const user = decodeURIComponent(u.username) || "(the login user)";
  const database = decodeURIComponent(u.pathname.replace(/^\//, "")) || user;
  const problem = (reason: string, fix: string, exitCode: number): StoreProblem => ({ what: `cannot use the PostgreSQL store ${redactUrl(location.url)}: ${reason}`, reason, fix, exitCode });
  // the driver reports a connection that timed out or was cut without any code (sql.ts classify tags it when it passes there)
  const codeless = !(err instanceof SwitchboardError || err instanceof TypeError || err instanceof RangeError) && errorChain(err).every((e) => typeof e.code !== "string");
  const code = codeless ? "STORE_UNREACHABLE" : firstCode(err, [...SETTING, ...NETWORK]);
  switch (code) {
    case "28P01":
      return problem(`the server refused the password for user "${user}"`, `correct the password in ${key} (percent-encode @, : and / in it)`, EXIT_CONFIG);
    case "28000":
      return problem(`the server does not let user "${user}" in`, `correct the user in ${key}, or allow it in the server's pg_hba.conf`, EXIT_CONFIG);
    case "3D000":
      return problem(`the database "${database}" does not exist`, `create it (createdb -h ${u.hostname || "localhost"} -U ${user} ${database}), or correct the database name in ${key}`, EXIT_CONFIG);
    case "ECONNREFUSED":
      return problem(`nothing accepts connections at ${host}`, `start PostgreSQL there, or correct the host and port in ${key}`, 1);
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return problem(`the host ${u.hostname} cannot be resolved`, `correct the host in ${key}, or check this machine's DNS`, 1);
    case "57P03":
    case "57P01":
      return problem(`the server at ${host} is starting up or shutting down`, "wait for it to finish and run the command again", 1);
    case undefined:
      break;
    default:
      return problem(`no working connection to ${host} (${code === "STORE_UNREACHABLE" ? "no answer in time" : code})`, `check that PostgreSQL runs at ${host} and that this machine may reach it (firewall), or correct ${key}`, 1);
  }
  // refused for another reason (a database written by a newer Switchboard, missing privileges): its own words say what to do
  return problem(redact(innermostMessage(err)), `check ${key}; \`switchboard doctor\` checks the server, the schema and the fleet tables`, 1);
}

const SQLITE_FIXES: Record<string, string> = {
  full: "free some space on that disk",
  read_only: "make the file and its directory writable by this user",
  io: "check the disk",
  busy: "another process holds the database locked; stop it and run the command again",
};

/** What went wrong opening or using the store at `location`, and how to fix it. */
export function storeProblem(location: StoreLocation | PgTarget, err: unknown): StoreProblem {
  if (location.kind === "postgres") return pgProblem(location, err);
  const fault = storeFault(err);
  const reason = redact(innermostMessage(err));
  return {
    what: `cannot use the SQLite store ${location.file}: ${reason}`,
    reason,
    fix: (fault && SQLITE_FIXES[fault]) ?? `check the file, or point ${location.from === "default" ? "SWITCHBOARD_HOME" : location.from} at another one`,
    exitCode: 1,
  };
}

/** The one-line error a command stops with when the store cannot be used. */
export function storeFailure(location: StoreLocation, err: unknown): SwitchboardError {
  if (err instanceof SwitchboardError && err.code !== "store") return err;
  const p = storeProblem(location, err);
  const prefix = location.from === "default" ? "" : `${location.from}: `;
  return new SwitchboardError("store", `${prefix}${p.what} (fix: ${p.fix})`, { exitCode: p.exitCode, cause: err });
}

/** Opens the store at `location` for a command; throws storeFailure's error when it cannot. */
export async function openCommandStore(location: StoreLocation, opts: { connectTimeoutMs?: number } = {}): Promise<StoreBackend> {
  try {
    return await openBackend(location, { maxConnections: 2, connectTimeoutMs: opts.connectTimeoutMs ?? CLI_CONNECT_TIMEOUT_MS });
  } catch (err) {
    throw storeFailure(location, err);
  }
}

export interface CommandStore {
  store: StoreBackend;
  location: StoreLocation;
  setup: CommandSetup;
}

/** Runs `fn` with the command's store open, and closes it after (a PostgreSQL pool would keep the process alive). */
export async function withCommandStore<T>(ctx: CliContext, fn: (s: CommandStore) => Promise<T>, opts: { quietWarnings?: boolean } = {}): Promise<T> {
  const setup = commandSetup(ctx, { quietWarnings: opts.quietWarnings ?? true });
  const location = commandStoreLocation(setup, ctx.io.env);
  const store = await openCommandStore(location);
  try {
    return await fn({ store, location, setup });
  } catch (err) {
    // a server that went away mid-command is the same one line as one never reached
    if (storeFault(err)) throw storeFailure(location, err);
    throw err;
  } finally {
    await store.close().catch(() => undefined);
  }
}
