// Turning zod issues into ConfigProblems a person can act on: the full key
// path, what was expected and what was found (never a secret), and a fix.
import type { z } from "zod";
import type { ConfigProblem } from "../core/errors.ts";
import { isSecretPath } from "./schema.ts";

type Issue = z.core.$ZodIssue;
type Path = readonly PropertyKey[];

/** model_list[2].request_timeout */
export function pathText(path: Path): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out;
}

export function valueAt(root: unknown, path: Path): unknown {
  let node = root;
  for (const p of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<PropertyKey, unknown>)[p];
  }
  return node;
}

const URL_KEYS = new Set(["api_base", "base_url", "baseUrl", "proxy", "webhook_url", "bridge_url", "token_url"]);

/** Fixes by the key's name, for the keys people most often get wrong. */
const KEY_HINTS: Record<string, string> = {
  request_timeout: "give the timeout in seconds as a number, e.g. 120",
  allow_from: 'use a list of user ids or names, e.g. ["123456789", "@alice"]',
  model_name: 'name the entry, e.g. "gpt-4" (entries sharing a model_name are load-balanced)',
  rpm: "give a whole number of requests per minute, e.g. 60",
  port: "give a port number from 0 to 65535, e.g. 18790",
  temperature: "give a number from 0 to 2, e.g. 0.7",
  interval: "give the minutes between heartbeats, e.g. 30",
  start: 'write a 24-hour time, e.g. "08:00"',
  end: 'write a 24-hour time, e.g. "22:30"',
  fallbacks: 'use a list of model names, e.g. ["deepseek-backup", "gemini-backup"]',
  max_results: "give a whole number from 1 to 50, e.g. 5",
  max_tool_iterations: "give a whole number, e.g. 20",
  dm_scope: 'use one of "main", "per-peer", "per-channel-peer", "per-account-channel-peer"',
};

function hintFor(issue: Issue, path: Path): string | undefined {
  // a channel's own check already says how to fix it (channels/<id>/config.ts)
  if (issue.code === "custom" && issue.params?.fix === true) return undefined;
  // allow_from[2] takes the hint of allow_from
  const keys = path.filter((p): p is string => typeof p === "string");
  const last = keys[keys.length - 1] ?? "";
  const parent = keys[keys.length - 2] ?? "";
  if (last === "model" && parent === "defaults") return 'write a model name ("gpt-4") or { "primary": "gpt-4", "fallbacks": ["..."] }';
  if (last === "model") return 'write vendor/model, e.g. "openai/gpt-4o" or "anthropic/claude-sonnet-4.6"';
  if (URL_KEYS.has(last)) return 'write a full URL with its scheme, e.g. "https://api.example.com/v1" or "http://localhost:4000"';
  if (KEY_HINTS[last]) return KEY_HINTS[last];
  if (issue.code === "invalid_value" && "values" in issue) return `use one of: ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
  if (issue.code === "invalid_type") {
    if (issue.expected === "number") return "write a number without quotes";
    if (issue.expected === "boolean") return "write true or false without quotes";
    if (issue.expected === "array") return "use a list: [ ... ]";
    if (issue.expected === "object") return "use an object: { ... }";
    if (issue.expected === "string") return "put the value in double quotes";
  }
  if (issue.code === "too_small" || issue.code === "too_big") return "see the README's configuration reference for the allowed range";
  return undefined;
}

/** What the user wrote, unless it may be a secret; URLs lose any password. */
function shown(value: unknown, path: Path): string {
  if (value === undefined) return "";
  if (isSecretPath(path)) return " (value hidden: it may be a secret)";
  let text = typeof value === "string" ? value : JSON.stringify(value) ?? String(value);
  if (typeof value === "string") {
    text = text.replace(/(\/\/[^/\s:@]*:)[^@/\s]*@/g, "$1****@");
    text = JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text);
  } else if (text.length > 60) {
    text = `${text.slice(0, 57)}...`;
  }
  return `, got ${text}`;
}

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  return typeof v === "object" ? "an object" : `a ${typeof v}`;
}

function messageFor(issue: Issue, value: unknown): string {
  if (issue.code === "invalid_type" && value === undefined) return `is required (expected ${issue.expected})`;
  if (issue.code === "invalid_type") return `expected ${issue.expected}, not ${typeName(value)}`;
  return issue.message.replace(/^Invalid input: /, "");
}

/**
 * One problem per issue. `unknownKeys` maps an object's path to the unknown
 * keys found in it, so a missing required key can point at a likely typo.
 */
export function describeIssues(issues: readonly Issue[], input: unknown, unknownKeys: Map<string, string[]> = new Map()): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const visit = (issue: Issue, base: Path) => {
    const path = [...base, ...issue.path];
    if (issue.code === "invalid_union") {
      // a branch whose type matched went wrong deeper down: report that branch's issues
      const deeper = issue.errors.find((branch) => branch.some((i) => i.path.length > 0 || i.code !== "invalid_type"));
      if (deeper) {
        for (const i of deeper) visit(i, path);
        return;
      }
      const expected = issue.errors.flatMap((b) => b.map((i) => (i.code === "invalid_type" ? i.expected : undefined))).filter(Boolean);
      const value = valueAt(input, path);
      const hint = hintFor(issue, path);
      out.push({
        path: pathText(path),
        message: `expected ${[...new Set(expected)].join(" or ")}, not ${typeName(value)}${shown(value, path)}`,
        ...(hint ? { hint } : {}),
      });
      return;
    }
    const value = valueAt(input, path);
    let hint = hintFor(issue, path);
    if (issue.code === "invalid_type" && value === undefined) {
      const siblings = unknownKeys.get(pathText(path.slice(0, -1)));
      if (siblings?.length) hint = `is one of ${siblings.map((k) => `"${k}"`).join(", ")} a misspelling of "${String(path[path.length - 1])}"?${hint ? ` Otherwise: ${hint}` : ""}`;
    }
    out.push({ path: pathText(path), message: `${messageFor(issue, value)}${shown(value, path)}`, ...(hint ? { hint } : {}) });
  };
  for (const issue of issues) visit(issue, []);
  return out;
}
