// The request body's JSON with the tools serialized once per array: the same
// text JSON.stringify writes, key order included, on a cached array and on a
// new one, whatever the messages hold.
import { describe, expect, it } from "vitest";
import { bodyJson } from "../../src/providers/protocols/body-json.ts";

const tools = [{ type: "function", function: { name: "web_fetch", description: 'Fetch a "URL"\n', parameters: { type: "object", properties: { url: { type: "string" } } } } }];

describe("bodyJson", () => {
  it("writes what JSON.stringify writes, tools in their place, on the first and every later use of the same array", () => {
    const body = (text: string) => ({ model: "m", messages: [{ role: "user", content: text }], tools, max_tokens: 5, stream: true });
    for (const text of ["hi", 'a "quote", a \\ and \u0000\u0001 controls', "\u0000tools not the marker\u0000"]) {
      const text1 = bodyJson(body(text));
      expect(text1).toBe(JSON.stringify(body(text)));
      expect(Object.keys(JSON.parse(text1))).toEqual(["model", "messages", "tools", "max_tokens", "stream"]);
    }
  });

  it("serializes a new tools array afresh, and a body without tools as it is", () => {
    expect(bodyJson({ model: "m", tools })).toBe(JSON.stringify({ model: "m", tools }));
    const other = [{ ...tools[0]!, function: { ...tools[0]!.function, name: "cron" } }];
    expect(bodyJson({ model: "m", tools: other })).toBe(JSON.stringify({ model: "m", tools: other }));
    expect(bodyJson({ model: "m", tools: [] })).toBe('{"model":"m","tools":[]}');
    expect(bodyJson({ model: "m" })).toBe('{"model":"m"}');
  });
});
