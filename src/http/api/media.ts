// Media the turn's tools produced (generated images, files), as Markdown the
// API client can show: images as ![image](…) with a data: URL (or the
// tool's own http URL), other media as links. A file on disk is inlined up
// to MAX_INLINE_BYTES; a larger one is named instead of sent.
import { readFileSync, statSync } from "node:fs";
import { basename } from "node:path";
import type { TurnMedia } from "../../agent/agent.ts";

export const MAX_INLINE_BYTES = 20 * 1024 * 1024;

function dataOf(m: TurnMedia[number]): Buffer | undefined {
  if (m.data) return m.data;
  if (!m.path) return undefined;
  try {
    if (statSync(m.path).size > MAX_INLINE_BYTES) return undefined;
    return readFileSync(m.path);
  } catch {
    return undefined;
  }
}

/** Markdown for each item, in order; items that cannot be shown are named. */
export function mediaMarkdown(media: TurnMedia): string {
  const out: string[] = [];
  media.forEach((m, i) => {
    const label = m.kind === "image" ? `image ${i + 1}` : `${m.kind} ${i + 1}`;
    const data = m.url ? undefined : dataOf(m);
    const href = m.url ?? (data ? `data:${m.mimeType};base64,${data.toString("base64")}` : undefined);
    if (!href) {
      out.push(`[${label}: ${m.path ? basename(m.path) : m.mimeType} (too large to inline)]`);
      return;
    }
    out.push(m.kind === "image" ? `![${label}](${href})` : `[${label}](${href})`);
  });
  return out.join("\n\n");
}
