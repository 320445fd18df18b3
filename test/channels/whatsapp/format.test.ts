// Markdown from the model → WhatsApp markup.
import { describe, expect, it } from "vitest";
import { markdownToWhatsApp } from "../../../channels/whatsapp/format.ts";

describe("markdownToWhatsApp", () => {
  it("converts emphasis, strike, headings, links and bullets", () => {
    expect(markdownToWhatsApp("**bold** __also bold__ *italic* _still italic_ ~~gone~~")).toBe("*bold* *also bold* _italic_ _still italic_ ~gone~");
    expect(markdownToWhatsApp("## Results **now**")).toBe("*Results now*");
    expect(markdownToWhatsApp("see [the docs](https://d.test/x) or https://d.test")).toBe("see the docs (https://d.test/x) or https://d.test");
    expect(markdownToWhatsApp("[https://a.test](https://a.test)")).toBe("https://a.test");
    expect(markdownToWhatsApp("* one\n+ two\n- three")).toBe("- one\n- two\n- three");
    expect(markdownToWhatsApp("**bold with *italic* inside**")).toBe("*bold with _italic_ inside*");
  });

  it("leaves code alone", () => {
    const md = "use `**not bold**` here\n```ts\nconst a = 2 * 3 * 4; // **x**\n```\nafter **b**";
    expect(markdownToWhatsApp(md)).toBe("use `**not bold**` here\n```\nconst a = 2 * 3 * 4; // **x**\n```\nafter *b*");
  });

  it("leaves plain text, arithmetic and snake_case alone", () => {
    for (const t of ['echo: "contract hello"', "2 * 3 * 4 = 24", "my_var_name and a*b*c", "Paragraph 3: lorem ipsum.", "price: 5*"]) {
      expect(markdownToWhatsApp(t)).toBe(t);
    }
  });

  it("never makes the text longer", () => {
    const samples = ["# H", "[a](b)", "**x**", "* li", "```js\ncode\n```", "~~s~~ __u__"];
    for (const s of samples) expect(markdownToWhatsApp(s).length).toBeLessThanOrEqual(s.length);
  });
});
