// A minimal gzip'd ustar archive of regular files and directories: what a
// backup needs (readable by `tar -xzf`), without a dependency. Symlinks,
// devices and other special files are left out on purpose.
import { gunzipSync, gzipSync } from "node:zlib";
import { SwitchboardError } from "../core/errors.ts";

export interface ArchiveEntry {
  /** relative path with "/" separators; a trailing "/" marks a directory */
  name: string;
  data?: Buffer;
  mode?: number;
  mtimeMs?: number;
}

const BLOCK = 512;

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, "0")}\0`;
}

/** ustar keeps 100 bytes of name plus a 155-byte prefix split at a "/" */
function splitName(name: string): { name: string; prefix: string } {
  if (Buffer.byteLength(name) <= 100) return { name, prefix: "" };
  for (let i = name.indexOf("/"); i !== -1; i = name.indexOf("/", i + 1)) {
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100) return { name: rest, prefix };
  }
  throw new SwitchboardError("usage", `the path ${name} is too long to go into a backup (over 255 bytes); rename or move it`);
}

function header(e: ArchiveEntry, size: number, dir: boolean): Buffer {
  const h = Buffer.alloc(BLOCK);
  const { name, prefix } = splitName(e.name);
  h.write(name, 0, 100, "utf8");
  h.write(octal(e.mode ?? (dir ? 0o700 : 0o600), 8), 100, "ascii");
  h.write(octal(0, 8), 108, "ascii");
  h.write(octal(0, 8), 116, "ascii");
  h.write(octal(size, 12), 124, "ascii");
  h.write(octal(Math.floor((e.mtimeMs ?? Date.now()) / 1000), 12), 136, "ascii");
  h.write("        ", 148, "ascii");
  h.write(dir ? "5" : "0", 156, "ascii");
  h.write("ustar\0", 257, "ascii");
  h.write("00", 263, "ascii");
  h.write(prefix, 345, 155, "utf8");
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "ascii");
  return h;
}

export function packArchive(entries: ArchiveEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const dir = e.name.endsWith("/");
    const data = dir ? Buffer.alloc(0) : (e.data ?? Buffer.alloc(0));
    parts.push(header(e, data.length, dir), data);
    const pad = (BLOCK - (data.length % BLOCK)) % BLOCK;
    if (pad) parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return gzipSync(Buffer.concat(parts));
}

function field(h: Buffer, start: number, len: number): string {
  const raw = h.subarray(start, start + len);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? len : end).toString("utf8");
}

/** Unpacks what packArchive (or `tar -czf` with plain files) wrote; refuses paths that climb out. */
export function unpackArchive(gz: Buffer, source = "the backup"): ArchiveEntry[] {
  let tar: Buffer;
  try {
    tar = gunzipSync(gz);
  } catch (err) {
    throw new SwitchboardError("usage", `${source} is not a Switchboard backup (not gzip: ${(err as Error).message})`);
  }
  const out: ArchiveEntry[] = [];
  for (let off = 0; off + BLOCK <= tar.length; ) {
    const h = tar.subarray(off, off + BLOCK);
    if (h.every((b) => b === 0)) break;
    if (field(h, 257, 5) !== "ustar") throw new SwitchboardError("usage", `${source} is not a Switchboard backup (no tar header at byte ${off})`);
    const prefix = field(h, 345, 155);
    const name = prefix ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100);
    const size = parseInt(field(h, 124, 12).trim() || "0", 8);
    const type = String.fromCharCode(h[156]!);
    if (name.split("/").includes("..") || name.startsWith("/")) throw new SwitchboardError("usage", `${source} contains the unsafe path ${name}; refusing to restore it`);
    const data = Buffer.from(tar.subarray(off + BLOCK, off + BLOCK + size));
    if (type === "5") out.push({ name: name.endsWith("/") ? name : `${name}/`, mode: parseInt(field(h, 100, 8), 8) });
    else if (type === "0" || type === "\0") out.push({ name, data, mode: parseInt(field(h, 100, 8), 8) });
    off += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
  }
  return out;
}
