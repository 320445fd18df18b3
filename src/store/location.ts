// Where the store lives: `store.url` in the config, overridden by
// SWITCHBOARD_DATABASE_URL (Docker, systemd, like the other SWITCHBOARD_*
// variables). Unset means the embedded SQLite file in the state directory.
// `sqlite:PATH` (relative to SWITCHBOARD_HOME) names another SQLite file;
// `postgres://…` or `postgresql://…` a PostgreSQL database. Pure: no driver
// is loaded here, so the config schema can use it.
import { isAbsolute, resolve } from "node:path";
import { ConfigError } from "../core/errors.ts";
import { redactUrl, registerSecrets } from "../core/redact.ts";

/** where the setting came from, for messages that name the key to change */
export type StoreSource = "default" | "store.url" | "SWITCHBOARD_DATABASE_URL";

export type StoreLocation = ({ kind: "sqlite"; file: string } | { kind: "postgres"; url: string }) & { from: StoreSource };

export const DATABASE_URL_ENV = "SWITCHBOARD_DATABASE_URL";

const HINT = 'use "sqlite:/path/to/switchboard.db" or "postgres://user:password@host:5432/database" (or leave it out for the SQLite file in the state directory)';

/** Why `url` is not a store URL, or undefined when it is one. */
export function storeUrlProblem(url: string): string | undefined {
  const u = url.trim();
  if (/^sqlite:/i.test(u)) return u.replace(/^sqlite:(\/\/)?/i, "") === "" ? "sqlite: needs a file path after it" : undefined;
  if (!/^postgres(ql)?:\/\//i.test(u)) return `"${redactUrl(u)}" is neither a sqlite: path nor a postgres:// URL`;
  try {
    new URL(u);
  } catch {
    return `"${redactUrl(u)}" is not a valid URL (a password with @, / or : must be percent-encoded)`;
  }
  return undefined;
}

/** how to write a store URL, for the config schema's message */
export const STORE_URL_HINT = HINT;

/**
 * Resolves the store's location. `home` is the state directory (relative
 * sqlite: paths and the default file live there); `defaultFile` is the
 * embedded database. Throws ConfigError naming the key (store.url or
 * SWITCHBOARD_DATABASE_URL) for a URL that is neither.
 */
export function storeLocation(configured: string | undefined, env: NodeJS.ProcessEnv, home: string, defaultFile: string): StoreLocation {
  const fromEnv = env[DATABASE_URL_ENV]?.trim();
  const key: StoreSource = fromEnv ? DATABASE_URL_ENV : "store.url";
  const url = fromEnv || configured?.trim();
  if (!url) return { kind: "sqlite", file: defaultFile, from: "default" };
  const problem = storeUrlProblem(url);
  if (problem) throw new ConfigError([{ path: key, message: problem, hint: HINT }]);
  if (/^sqlite:/i.test(url)) {
    const path = url.replace(/^sqlite:(\/\/)?/i, "");
    return { kind: "sqlite", file: isAbsolute(path) ? path : resolve(home, path), from: key };
  }
  const password = new URL(url).password;
  if (password) registerSecrets([decodeURIComponent(password), password]); // never in a log line or an error
  return { kind: "postgres", url, from: key };
}
