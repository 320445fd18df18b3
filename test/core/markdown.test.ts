// One Markdown parser, one renderer per platform: the cases the old regex
// converters got wrong, checked on every platform's renderer.
import { describe, expect, it } from "vitest";
import { markdownForFeishu } from "../../channels/feishu/format.ts";
import { markdownToPlain } from "../../channels/qq/format.ts";
import { markdownToTelegramHtml } from "../../channels/telegram/format.ts";
import { markdownToWhatsApp } from "../../channels/whatsapp/format.ts";
import { alignedRows, decodeEntities } from "../../src/core/markdown.ts";

const render = {
  telegram: markdownToTelegramHtml,
  whatsapp: markdownToWhatsApp,
  feishu: markdownForFeishu,
  qq: markdownToPlain,
};

/** each platform's output for one input, so a table of expectations reads at a glance */
function all(md: string) {
  return Object.fromEntries(Object.entries(render).map(([name, fn]) => [name, fn(md)]));
}

describe("one Markdown parser for every platform", () => {
  it("nests bold inside italic properly (***x***)", () => {
    expect(all("***x*** done")).toEqual({
      telegram: "<i><b>x</b></i> done", // was <b><i>x</b></i>, which Telegram rejects
      whatsapp: "_*x*_ done",
      feishu: "***x*** done",
      qq: "x done",
    });
  });

  it("keeps a link whose URL holds parentheses whole", () => {
    const url = "https://en.wikipedia.org/wiki/Mercury_(planet)";
    expect(all(`read [this](${url}) first`)).toEqual({
      telegram: `read <a href="${url}">this</a> first`,
      whatsapp: `read this (${url}) first`,
      feishu: `read [this](${url}) first`,
      qq: `read this (${url}) first`,
    });
  });

  it("shows escaped markers as themselves, never as italics", () => {
    expect(all("\\*not italic\\*")).toEqual({
      telegram: "*not italic*",
      whatsapp: "*not italic*",
      feishu: "\\*not italic\\*", // Feishu reads Markdown again: the escape must survive
      qq: "*not italic*",
    });
  });

  it("leaves a * inside a URL alone", () => {
    const url = "https://x.test/a*b*c/";
    const out = all(`go ${url} now`);
    expect(out.telegram).toBe(`go <a href="${url}">${url}</a> now`);
    expect(out.whatsapp).toBe(`go ${url} now`);
    expect(out.qq).toBe(`go ${url} now`);
    expect(out.feishu).toBe(`go [${url}](${url}) now`);
    for (const text of Object.values(out)) expect(text).not.toMatch(/<i>|_b_/);
  });

  it("turns images into links rather than '!' followed by a link", () => {
    const out = all("![a cat](https://x.test/cat.png)");
    expect(out).toEqual({
      telegram: '<a href="https://x.test/cat.png">a cat</a>',
      whatsapp: "a cat (https://x.test/cat.png)",
      feishu: "[a cat](https://x.test/cat.png)",
      qq: "a cat (https://x.test/cat.png)",
    });
    for (const text of Object.values(out)) expect(text).not.toContain("!");
  });

  it("makes autolinks real links instead of literal angle brackets", () => {
    expect(all("see <https://y.test/p>")).toEqual({
      telegram: 'see <a href="https://y.test/p">https://y.test/p</a>',
      whatsapp: "see https://y.test/p",
      feishu: "see [https://y.test/p](https://y.test/p)",
      qq: "see https://y.test/p",
    });
  });

  it("lays tables out as aligned monospaced text instead of raw pipes", () => {
    const md = "| name | qty |\n|:--|--:|\n| **apples** | 3 |\n| kiwi | 12 |";
    const grid = "name   | qty\n-------+----\napples |   3\nkiwi   |  12";
    expect(all(md)).toEqual({
      telegram: `<pre>${grid}</pre>`,
      whatsapp: "```\n" + grid + "\n```",
      feishu: "```\n" + grid + "\n```",
      qq: grid,
    });
  });

  it("escapes what Telegram would read as HTML, in text, code and tables", () => {
    expect(markdownToTelegramHtml("a <b> & `x<y` and <script>")).toBe("a &lt;b&gt; &amp; <code>x&lt;y</code> and &lt;script&gt;");
    expect(markdownToTelegramHtml("| a<b |\n|---|\n| & |")).toBe("<pre>a&lt;b\n---\n&amp;</pre>");
  });

  it("keeps the model's layout: blank lines, nested and task lists, quotes, rules", () => {
    const md = "# Plan\n\nstep one\nstep two\n\n- [x] done\n- [ ] open\n  1. first\n  2. second\n\n> note **this**\n\n---\nend";
    expect(markdownToTelegramHtml(md)).toBe(
      "<b>Plan</b>\n\nstep one\nstep two\n\n☑ done\n☐ open\n  1. first\n  2. second\n\n<blockquote>note <b>this</b></blockquote>\n\n──────\nend",
    );
    expect(markdownToPlain(md)).toBe("Plan\n\nstep one\nstep two\n\n☑ done\n☐ open\n  1. first\n  2. second\n\n> note this\n\n──────\nend");
  });

  it("leaves chat text that only looks like markup alone on every platform", () => {
    for (const text of ["2 * 3 * 4 = 24", "my_var_name and a*b*c", "price: 5*", "a **dangling marker"]) {
      const out = all(text);
      expect(out.whatsapp).toBe(text);
      expect(out.qq).toBe(text);
      expect(out.telegram).toBe(text);
    }
  });

  it("never formats inside code", () => {
    expect(all("```ts\nconst a = **b** * c; // [x](y)\n```")).toEqual({
      telegram: '<pre><code class="language-ts">const a = **b** * c; // [x](y)</code></pre>',
      whatsapp: "```\nconst a = **b** * c; // [x](y)\n```",
      feishu: "```ts\nconst a = **b** * c; // [x](y)\n```",
      qq: "const a = **b** * c; // [x](y)",
    });
  });
});

describe("markdown helpers", () => {
  it("decodes the entity references models write and leaves unknown ones", () => {
    expect(decodeEntities("a &amp; b &lt;c&gt; &#169; &#x1F600; &bogus;")).toBe("a & b <c> © 😀 &bogus;");
  });

  it("aligns columns by display width (CJK counts double), right-aligned where asked", () => {
    expect(alignedRows([["h", "n"], ["中文", "7"]], [null, "right"])).toEqual(["h    | n", "-----+--", "中文 | 7"]);
  });
});
