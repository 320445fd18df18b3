// A chat request's body as JSON, with its tools array serialized once. The
// tool schemas are most of a default request (~4 KB of its ~5 KB) and the
// same on every turn while the tools do not change (the registry hands the
// same array until a tool comes or goes), so their JSON text is kept per
// array and put into the body's text where JSON.stringify writes a marker.
// The marker is a string with a random part made at start: no text of a
// request can hold it, so the one place it appears is the tools' place, and
// the body keeps its key order. Nothing here may mutate a cached array: a
// new array is new JSON.
import { randomUUID } from "node:crypto";

const MARKER = `\u0000tools ${randomUUID()}\u0000`;
const MARKER_JSON = JSON.stringify(MARKER);
const PLACEHOLDER = { toJSON: () => MARKER };
const toolsJson = new WeakMap<object, string>();

/** JSON.stringify(body), the same text, with `body.tools` serialized once per array */
export function bodyJson(body: Record<string, unknown>): string {
  const tools = body.tools;
  if (!Array.isArray(tools) || tools.length === 0) return JSON.stringify(body);
  let json = toolsJson.get(tools);
  if (json === undefined) toolsJson.set(tools, (json = JSON.stringify(tools)));
  const text = JSON.stringify({ ...body, tools: PLACEHOLDER });
  const at = text.indexOf(MARKER_JSON);
  return text.slice(0, at) + json + text.slice(at + MARKER_JSON.length);
}
