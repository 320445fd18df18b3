// file_read, file_write, file_list and file_edit: plain file work confined
// to the workspace (src/sandbox/paths.ts refuses "..", outside absolute
// paths such as /proc, and symlinks). Off unless tools.files.enabled. Every
// call is logged with its path, never its content.
import { closeSync, constants, mkdirSync, openSync, readdirSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { z } from "zod";
import { resolveInside, shown } from "../sandbox/paths.ts";
import type { FilesConfig } from "../sandbox/schema.ts";
import { readCapped } from "./skill.ts";
import { ToolError, type Tool, type ToolContext } from "./types.ts";

const LIST_MAX = 200;

/** The confined absolute path of a call, logged (path only) before anything is touched. */
function locate(workspaceDir: string, ctx: ToolContext, tool: string, path: string, extra: Record<string, unknown> = {}): string {
  const abs = resolveInside(workspaceDir, path);
  ctx.logger.info({ tool, path: shown(workspaceDir, abs), session: ctx.origin.sessionKey, ...extra }, "file tool call");
  return abs;
}

function writeFile(abs: string, content: string, max: number, label: string): void {
  const bytes = Buffer.byteLength(content);
  if (bytes > max) throw new ToolError(`the content is ${bytes} bytes; files written by the agent are capped at ${max} (tools.files.max_write_bytes)`);
  mkdirSync(dirname(abs), { recursive: true, mode: 0o700 });
  let fd: number;
  try {
    fd = openSync(abs, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ToolError(code === "ELOOP" ? `${label} is a symbolic link, which is not followed` : `cannot write ${label} (${code})`);
  }
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
}

const readSchema = z.object({ path: z.string().min(1), offset: z.number().int().min(1).optional().describe("first line, 1-based"), limit: z.number().int().positive().optional().describe("lines") });
const writeSchema = z.object({ path: z.string().min(1), content: z.string() });
const listSchema = z.object({ path: z.string().default(".") });
const editSchema = z.object({ path: z.string().min(1), old_text: z.string().min(1).describe("exact text, found once"), new_text: z.string() });

export function createFileTools(cfg: FilesConfig, workspaceDir: string): [Tool<typeof readSchema>, Tool<typeof writeSchema>, Tool<typeof listSchema>, Tool<typeof editSchema>] {
  return [
    {
      name: "file_read",
      description: "Read a file in the workspace",
      schema: readSchema,
      async run(args, ctx) {
        const abs = locate(workspaceDir, ctx, "file_read", args.path);
        const text = readCapped(abs, args.path, cfg.max_read_bytes);
        if (args.offset === undefined && args.limit === undefined) return text;
        const lines = text.split("\n");
        const from = (args.offset ?? 1) - 1;
        return lines.slice(from, args.limit ? from + args.limit : undefined).join("\n");
      },
    },
    {
      name: "file_write",
      description: "Create or replace a file in the workspace",
      schema: writeSchema,
      async run(args, ctx) {
        const abs = locate(workspaceDir, ctx, "file_write", args.path, { bytes: Buffer.byteLength(args.content) });
        writeFile(abs, args.content, cfg.max_write_bytes, args.path);
        return `wrote ${shown(workspaceDir, abs)} (${Buffer.byteLength(args.content)} bytes)`;
      },
    },
    {
      name: "file_list",
      description: "List a folder of the workspace",
      schema: listSchema,
      async run(args, ctx) {
        const abs = locate(workspaceDir, ctx, "file_list", args.path);
        let entries;
        try {
          entries = readdirSync(abs, { withFileTypes: true });
        } catch (err) {
          throw new ToolError(`cannot list ${args.path} (${(err as NodeJS.ErrnoException).code})`);
        }
        const names = entries.map((e) => (e.isDirectory() ? `${e.name}/` : e.isSymbolicLink() ? `${e.name}@` : e.name)).sort();
        if (names.length === 0) return `${args.path} is empty`;
        return names.slice(0, LIST_MAX).join("\n") + (names.length > LIST_MAX ? `\n[${names.length - LIST_MAX} more entries]` : "");
      },
    },
    {
      name: "file_edit",
      description: "Replace one exact piece of text in a workspace file",
      schema: editSchema,
      async run(args, ctx) {
        const abs = locate(workspaceDir, ctx, "file_edit", args.path);
        const text = readCapped(abs, args.path, cfg.max_write_bytes + 1);
        const count = text.split(args.old_text).length - 1;
        if (count === 0) throw new ToolError(`old_text was not found in ${args.path}; read the file and copy the text exactly`);
        if (count > 1) throw new ToolError(`old_text occurs ${count} times in ${args.path}; include more context so it occurs once`);
        writeFile(abs, text.replace(args.old_text, () => args.new_text), cfg.max_write_bytes, args.path);
        return `edited ${shown(workspaceDir, abs)}`;
      },
    },
  ];
}
