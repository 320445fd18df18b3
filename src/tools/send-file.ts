// The `send_file` tool: the agent sends a file from the workspace (a report
// it wrote, a CSV an exec command produced, an audio file) to the chat the
// turn belongs to. The path is confined to the workspace the same way the
// file tools confine theirs (no "..", no outside absolute paths, no symlinks;
// opened with O_NOFOLLOW); the type comes from the bytes, then the name.
//
// The bytes travel with the turn's reply into the outbox (base64 in the
// chunk), not a path re-read at send time: the file may be rewritten or
// deleted by the next tool call, a sandboxed command's output may be gone,
// and with a shared database another gateway of the fleet may be the one
// that sends the chunk. The cap keeps that row bounded; retention deletes
// sent chunks with everything they carry.
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { basename } from "node:path";
import { z } from "zod";
import { detectMime, formatBytes, mediaKindOf } from "../media/outbound-files.ts";
import { resolveInside, shown } from "../sandbox/paths.ts";
import { SYNTHETIC_CHANNELS } from "./message-tool.ts";
import { ToolError, type Tool, type ToolOutput } from "./types.ts";

/** Largest file the tool sends (Telegram bots take 50 MB, Discord 10-25 MB, Feishu 30 MB). */
export const DEFAULT_SEND_FILE_MAX_BYTES = 25 * 1024 * 1024;

export interface SendFileToolOptions {
  workspaceDir: string;
  /** largest file sent, bytes; default DEFAULT_SEND_FILE_MAX_BYTES */
  maxBytes?: number;
}

export const sendFileArgs = z.object({
  path: z.string().trim().min(1, "path is empty").describe("The file to send, relative to the workspace (e.g. reports/summary.pdf)"),
  caption: z.string().trim().max(1000).optional().describe("A short text shown with the file"),
  as: z
    .enum(["auto", "document", "audio"])
    .default("auto")
    .describe('"document" sends any file as a download, "audio" as something to play; "auto" decides from the file type'),
});
export type SendFileArgs = z.infer<typeof sendFileArgs>;

export function createSendFileTool(opts: SendFileToolOptions): Tool<typeof sendFileArgs> {
  const max = opts.maxBytes ?? DEFAULT_SEND_FILE_MAX_BYTES;
  return {
    name: "send_file",
    description:
      "Send a file from the workspace to the user in this chat (a document, spreadsheet, audio file, archive...). " +
      "Write or produce the file first, then call this with its workspace path. The file arrives with your reply. " +
      `Files up to ${formatBytes(max)}.`,
    schema: sendFileArgs,
    timeoutMs: 30_000,
    async run(args, ctx): Promise<ToolOutput> {
      // a scheduled task's reply is delivered as text only: a file would be lost without a word
      if (SYNTHETIC_CHANNELS.has(ctx.origin.channel.toLowerCase())) {
        throw new ToolError("send_file works in a conversation; a scheduled task's reply carries text only. Say where the file is instead.");
      }
      const abs = resolveInside(opts.workspaceDir, args.path);
      const name = shown(opts.workspaceDir, abs);
      const data = readWhole(abs, name, max);
      const filename = basename(abs);
      const mimeType = detectMime(data, filename);
      const kind = args.as === "document" ? "file" : args.as === "audio" ? "audio" : mediaKindOf(mimeType);
      if (args.as === "audio" && !mimeType.startsWith("audio/")) {
        throw new ToolError(`${name} is ${mimeType}, not audio; send it with as: "document"`);
      }
      ctx.logger.info({ tool: "send_file", path: name, bytes: data.length, mimeType, session: ctx.origin.sessionKey }, "file queued for the chat");
      return {
        text: `${name} (${formatBytes(data.length)}, ${mimeType}) will be sent to the user with your reply.`,
        media: [{ kind, mimeType, data, filename, ...(args.caption ? { caption: args.caption } : {}) }],
      };
    },
  };
}

/** The whole file, refused when it is not a regular file, is empty, or is larger than `max`. */
function readWhole(abs: string, name: string, max: number): Buffer {
  let fd: number;
  try {
    fd = openSync(abs, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ToolError(
      code === "ENOENT" ? `${name} does not exist in the workspace; write the file first` : code === "ELOOP" ? `${name} is a symbolic link, which is not followed` : `cannot read ${name} (${code})`,
    );
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new ToolError(`${name} is not a regular file`);
    if (st.size === 0) throw new ToolError(`${name} is empty; there is nothing to send`);
    if (st.size > max) throw new ToolError(`${name} is ${formatBytes(st.size)}; files sent to the chat are capped at ${formatBytes(max)}. Compress or split it first.`);
    const buf = Buffer.alloc(st.size);
    let at = 0;
    while (at < buf.length) {
      const n = readSync(fd, buf, at, buf.length - at, at);
      if (n === 0) break;
      at += n;
    }
    return buf.subarray(0, at);
  } finally {
    closeSync(fd);
  }
}
