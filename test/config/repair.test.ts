import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import JSON5 from "json5";
import { describe, expect, it } from "vitest";
import { repairConfigText } from "../../src/config/repair.ts";

const fixtures = join(import.meta.dirname, "../fixtures/reference");

describe("the repair pre-pass", () => {
  it("leaves every text that already parses exactly as it is", () => {
    for (const f of readdirSync(fixtures)) {
      const text = readFileSync(join(fixtures, f), "utf8");
      let valid = true;
      try {
        JSON5.parse(text);
      } catch {
        valid = false;
      }
      if (valid) expect(repairConfigText(text), f).toEqual({ text, repairs: [] });
    }
  });

  it("removes numeric separators after a colon, in lists, in negatives, decimals and hex", () => {
    const { text, repairs } = repairConfigText(`{ a: 180_000, b: [1_000, -2_500.5], c: 0xFF_FF, max_tokens: 1 }`);
    expect(JSON5.parse(text)).toEqual({ a: 180000, b: [1000, -2500.5], c: 65535, max_tokens: 1 });
    expect(repairs.map((r) => r.message)).toEqual([
      "numeric separators removed (write 180000, not 180_000)",
      "numeric separators removed (write 1000, not 1_000)",
      "numeric separators removed (write -2500.5, not -2_500.5)",
      "numeric separators removed (write 0xFFFF, not 0xFF_FF)",
    ]);
  });

  it("never touches strings or comments", () => {
    const input = `{
  // 1_000 "a": 1
  "url": "http://host:4000/v1", /* "b": 2_0 */
  "s": "1_000",
  "t": 'it''s'
}`;
    const { text, repairs } = repairConfigText(input);
    expect(repairs).toEqual([]);
    expect(text).toBe(input);
  });

  it("adds a missing comma between lines of an object, naming the line", () => {
    const { text, repairs } = repairConfigText(`{\n  "api_key": "your-z.ai-key"\n  "api_base": "https://api.z.ai/api/coding/paas/v4"\n}`);
    expect(JSON5.parse(text)).toEqual({ api_key: "your-z.ai-key", api_base: "https://api.z.ai/api/coding/paas/v4" });
    expect(repairs).toEqual([{ line: 2, message: "missing comma added at the end of the line" }]);
  });

  it("adds missing commas after nested objects and between list items", () => {
    const { text, repairs } = repairConfigText(`{
  "a": { "x": 1 }
  "b": [
    "one"
    { "two": true }
    3
  ]
  c: null
}`);
    expect(JSON5.parse(text)).toEqual({ a: { x: 1 }, b: ["one", { two: true }, 3], c: null });
    expect(repairs.map((r) => r.line)).toEqual([2, 4, 5, 7]);
  });

  it("keeps line numbers, so later errors point at the right line", () => {
    const { text } = repairConfigText(`{\n  "a": 1\n  "b": 2\n}`);
    expect(text.split("\n")).toHaveLength(4);
  });

  it("does not guess within one line: that stays a syntax error", () => {
    const { text, repairs } = repairConfigText(`{ "a": 1 "b": 2 }`);
    expect(repairs).toEqual([]);
    expect(() => JSON5.parse(text)).toThrow();
  });
});
