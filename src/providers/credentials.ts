// API tokens stored by `switchboard auth login --provider <vendor>`, in
// <state>/credentials.json (mode 0600, directory 0700, written atomically).
// A model entry of that vendor with no key of its own (no api_key, no
// providers.<vendor>.api_key) uses the stored token before the vendor's
// environment variable. Tokens are registered with the redactor as soon as
// they are read, so they never reach a log line.
import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { homedir } from "node:os";
import { z } from "zod";
import { registerSecrets } from "../core/redact.ts";

const FileSchema = z.object({
  version: z.literal(1),
  tokens: z.record(z.string(), z.object({ token: z.string().min(1), savedAt: z.string() })),
});
type CredentialsFile = z.infer<typeof FileSchema>;

/** <state>/credentials.json for this environment (SWITCHBOARD_HOME, default ~/.switchboard). */
export function credentialsFile(env: NodeJS.ProcessEnv = process.env): string {
  const home = env.SWITCHBOARD_HOME?.trim();
  const base = home ? resolve(home.startsWith("~/") ? join(homedir(), home.slice(2)) : home) : join(homedir(), ".switchboard");
  return join(base, "credentials.json");
}

let cache: { file: string; mtimeMs: number; data: CredentialsFile } | undefined;

function read(file: string): CredentialsFile {
  let mtimeMs: number;
  try {
    mtimeMs = statSync(file).mtimeMs;
  } catch {
    return { version: 1, tokens: {} };
  }
  if (cache && cache.file === file && cache.mtimeMs === mtimeMs) return cache.data;
  let data: CredentialsFile = { version: 1, tokens: {} };
  try {
    const parsed = FileSchema.safeParse(JSON.parse(readFileSync(file, "utf8")));
    if (parsed.success) data = parsed.data;
  } catch {
    // an unreadable file holds no usable token; `auth login` rewrites it
  }
  registerSecrets(Object.values(data.tokens).map((t) => t.token));
  cache = { file, mtimeMs, data };
  return data;
}

function write(file: string, data: CredentialsFile): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
  cache = undefined;
}

/** The stored token for a vendor, if any. */
export function storedToken(vendor: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (!vendor) return undefined;
  const tokens = read(credentialsFile(env)).tokens;
  const v = vendor.toLowerCase();
  // anthropic-messages/ is the same company and key as anthropic/
  return tokens[v]?.token ?? (v === "anthropic-messages" ? tokens.anthropic?.token : undefined);
}

export function saveToken(vendor: string, token: string, env: NodeJS.ProcessEnv = process.env): string {
  const file = credentialsFile(env);
  const data = read(file);
  write(file, { version: 1, tokens: { ...data.tokens, [vendor.toLowerCase()]: { token, savedAt: new Date().toISOString() } } });
  registerSecrets([token]);
  return file;
}

/** Removes a vendor's token; true when there was one. */
export function removeToken(vendor: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const file = credentialsFile(env);
  const data = read(file);
  const key = vendor.toLowerCase();
  if (!data.tokens[key]) return false;
  const { [key]: _gone, ...rest } = data.tokens;
  if (Object.keys(rest).length === 0) {
    unlinkSync(file);
    cache = undefined;
  } else write(file, { version: 1, tokens: rest });
  return true;
}

export function listTokens(env: NodeJS.ProcessEnv = process.env): { vendor: string; token: string; savedAt: string }[] {
  return Object.entries(read(credentialsFile(env)).tokens).map(([vendor, t]) => ({ vendor, ...t }));
}
