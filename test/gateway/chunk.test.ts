import { describe, expect, it } from "vitest";
import { chunkText } from "../../src/gateway/chunk.ts";

/** Every fence opened in a chunk is closed in the same chunk. */
function fencesBalanced(chunk: string): boolean {
  let open = false;
  for (const line of chunk.split("\n")) if (/^\s{0,3}```/.test(line)) open = !open;
  return !open;
}

describe("chunkText", () => {
  it("leaves a short message whole", () => {
    expect(chunkText("hello there", 4096)).toEqual(["hello there"]);
  });

  it("cuts at paragraph boundaries first", () => {
    const para = (n: number) => `${"word ".repeat(n).trim()}.`;
    const text = [para(30), para(30), para(30)].join("\n\n");
    const chunks = chunkText(text, 400);
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(400);
      expect(c.endsWith(".")).toBe(true);
    }
    expect(chunks.join("\n\n")).toBe(text);
  });

  it("falls back to lines, then sentences, then words", () => {
    const lines = Array.from({ length: 40 }, (_, i) => `line number ${i}`).join("\n");
    for (const c of chunkText(lines, 100)) expect(c).toMatch(/^line number \d+(\nline number \d+)*$/);

    const sentences = Array.from({ length: 30 }, (_, i) => `Sentence ${i} ends here.`).join(" ");
    const s = chunkText(sentences, 120);
    for (const c of s) {
      expect(c.length).toBeLessThanOrEqual(120);
      expect(c.endsWith(".")).toBe(true);
    }

    const words = "alpha beta gamma delta ".repeat(50).trim();
    const w = chunkText(words, 50);
    for (const c of w) {
      expect(c.length).toBeLessThanOrEqual(50);
      expect(c).toMatch(/^(alpha|beta|gamma|delta)( (alpha|beta|gamma|delta))*$/);
    }
    expect(w.join(" ")).toBe(words);
  });

  it("hard-cuts a run with no boundary and keeps every character", () => {
    const run = "x".repeat(250);
    const chunks = chunkText(run, 100);
    expect(chunks.map((c) => c.length)).toEqual([100, 100, 50]);
    expect(chunks.join("")).toBe(run);
  });

  it("never splits a surrogate pair", () => {
    const text = "😀".repeat(60); // 120 UTF-16 units, no spaces
    const chunks = chunkText(text, 51);
    for (const c of chunks) expect(c).not.toMatch(/[\ud800-\udbff]$|^[\udc00-\udfff]/);
    expect(chunks.join("")).toBe(text);
  });

  it("closes and reopens a code fence cut in the middle, with its language", () => {
    const code = Array.from({ length: 60 }, (_, i) => `    const v${i} = ${i};`).join("\n");
    const text = `Here is the code:\n\n\`\`\`ts\n${code}\n\`\`\`\n\nThat is all.`;
    const chunks = chunkText(text, 300);
    expect(chunks.length).toBeGreaterThan(2);
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(300);
      expect(fencesBalanced(c)).toBe(true);
    }
    for (const c of chunks.slice(1, -1)) expect(c.startsWith("```ts\n")).toBe(true);
    // indentation inside the code survives the cuts
    const body = chunks.join("\n").split("\n").filter((l) => l.includes("const v"));
    expect(body).toHaveLength(60);
    for (const l of body) expect(l.startsWith("    const")).toBe(true);
  });

  it("keeps a 20,000-character reply in order and within Telegram and Discord limits", () => {
    const parts: string[] = [];
    for (let i = 0; parts.join("\n\n").length < 20_000; i++) {
      parts.push(i % 5 === 4 ? `\`\`\`python\nprint(${i})\n${"x = 1\n".repeat(40)}\`\`\`` : `Paragraph ${i}. ${"Lorem ipsum dolor sit amet. ".repeat(8)}`);
    }
    const text = parts.join("\n\n");
    for (const limit of [4096, 2000]) {
      const chunks = chunkText(text, limit);
      for (const c of chunks) {
        expect(c.length).toBeLessThanOrEqual(limit);
        expect(fencesBalanced(c)).toBe(true);
      }
      const order = chunks.join("\n").match(/Paragraph \d+|print\(\d+\)/g)!.map((m) => Number(/\d+/.exec(m)![0]));
      expect(order).toEqual([...order].sort((a, b) => a - b));
      expect(new Set(order).size).toBe(parts.length);
    }
  });

  it("refuses a limit too small to hold a fence", () => {
    expect(() => chunkText("abc", 5)).toThrow(/too small/);
  });
});
