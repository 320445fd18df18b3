// An MCP tool result as the agent's tool output: text parts joined for the
// model, images and audio handed on as media (the model reads a one-line
// note about each, and sees the images themselves right after the results), embedded resources inlined when they are text. A result
// flagged isError becomes a ToolError so the model reads it as a failure.
import { ToolError, type ToolOutput } from "../tools/types.ts";

interface Part {
  type: string;
  text?: string;
  data?: string;
  mimeType?: string;
  uri?: string;
  name?: string;
  resource?: { uri?: string; text?: string; blob?: string; mimeType?: string };
}

export interface McpCallResult {
  content?: unknown[];
  structuredContent?: unknown;
  isError?: boolean;
  toolResult?: unknown;
}

export function toToolOutput(result: McpCallResult): ToolOutput {
  const texts: string[] = [];
  const media: NonNullable<ToolOutput["media"]> = [];
  const forModel: NonNullable<ToolOutput["forModel"]> = [];
  const parts = Array.isArray(result.content) ? (result.content as Part[]) : [];
  for (const p of parts) {
    if (p.type === "text" && typeof p.text === "string") texts.push(p.text);
    else if ((p.type === "image" || p.type === "audio") && typeof p.data === "string") {
      const mimeType = p.mimeType ?? (p.type === "image" ? "image/png" : "audio/mpeg");
      const data = Buffer.from(p.data, "base64");
      media.push({ kind: p.type, mimeType, data });
      if (p.type === "image") forModel.push({ mimeType, data });
      texts.push(p.type === "image" ? `[image (${mimeType}) returned: shown to the user, and to you in the next message]` : `[audio (${mimeType}) returned; it is played to the user]`);
    } else if (p.type === "resource" && p.resource) {
      const r = p.resource;
      texts.push(typeof r.text === "string" ? `[resource ${r.uri ?? ""}]\n${r.text}` : `[binary resource ${r.uri ?? ""} (${r.mimeType ?? "unknown type"})]`);
    } else if (p.type === "resource_link") {
      texts.push(`[link: ${p.name ? `${p.name} ` : ""}${p.uri ?? ""}]`);
    }
  }
  if (texts.length === 0 && result.structuredContent !== undefined) texts.push(JSON.stringify(result.structuredContent));
  if (texts.length === 0 && result.toolResult !== undefined) texts.push(JSON.stringify(result.toolResult));
  const text = texts.join("\n");
  if (result.isError) throw new ToolError(text || "the MCP server reported an error without a message");
  return { text: text || "(the tool returned nothing)", media, ...(forModel.length ? { forModel } : {}) };
}
