import { describe, expect, it } from "vitest";
import { markdownToTelegramHtml as md, visibleLength } from "../../../channels/telegram/format.ts";

describe("markdown to Telegram HTML", () => {
  it("escapes HTML special characters in plain text", () => {
    expect(md("a < b && c > d")).toBe("a &lt; b &amp;&amp; c &gt; d");
  });

  it("converts bold, italic, strike, spoiler and inline code", () => {
    expect(md("**bold** and *it* and _it2_ and ~~gone~~ and ||secret|| and `x<y`")).toBe(
      "<b>bold</b> and <i>it</i> and <i>it2</i> and <s>gone</s> and <tg-spoiler>secret</tg-spoiler> and <code>x&lt;y</code>",
    );
  });

  it("leaves snake_case, arithmetic and unpaired markers alone", () => {
    expect(md("use my_var_name here")).toBe("use my_var_name here");
    expect(md("2 * 3 * 4 = 24")).toBe("2 * 3 * 4 = 24");
    expect(md("a **dangling marker")).toBe("a **dangling marker");
  });

  it("does not format inside inline code", () => {
    expect(md("`**not bold**`")).toBe("<code>**not bold**</code>");
  });

  it("renders fenced code blocks with their language, escaped", () => {
    expect(md("```python\nif a < b:\n    print('**x**')\n```")).toBe(
      '<pre><code class="language-python">if a &lt; b:\n    print(\'**x**\')</code></pre>',
    );
  });

  it("keeps an unclosed fence as a code block to the end", () => {
    expect(md("```\nopen code")).toBe("<pre><code>open code</code></pre>");
  });

  it("turns safe links into anchors and leaves other schemes as text", () => {
    expect(md("[docs](https://example.com/a?b=1&c=2)")).toBe('<a href="https://example.com/a?b=1&amp;c=2">docs</a>');
    expect(md("[x](javascript:alert(1))")).toBe("[x](javascript:alert(1))");
  });

  it("renders headings bold, bullets as dots and quotes as blockquotes", () => {
    expect(md("# Title\n- one\n- two\n> quoted\n> more")).toBe(
      "<b>Title</b>\n• one\n• two\n<blockquote>quoted\nmore</blockquote>",
    );
  });

  it("never produces more visible text than the markdown had", () => {
    const src = "**Title**\n\nSome `code` and [a link](https://x.y) & more <stuff>.\n```js\nlet a = 1 < 2;\n```";
    expect(visibleLength(md(src))).toBeLessThanOrEqual(src.length);
  });

  it("renders a one-line plain answer (which skips the parser) exactly as the parser would", () => {
    // a leading blank line never changes the output but always takes the parser's path
    const parsed = (t: string) => md(`\n${t}`);
    for (const t of ["ok", "ok, here is a short answer", "Sure! It costs 5 (five) euros; 20% off?", "1 2 3", "Это тест 😀", "-5 degrees", "1x. not a list"]) {
      expect(md(t)).toBe(parsed(t));
    }
    // the characters that start markup, lists, autolinks, entities and line breaks, mixed with plain words
    const pieces = ["ab", "Z9", " ", ".", ",", ";", "!", "?", "(", ")", "'", '"', "-", "+", "=", "*", "_", "~", "`", "[", "]", "#", ">", "|", "<", "&", ":", "@", "/", "\\", "\n", "\t", "\u00a0", "\u2028", "\f", "é", "😀", "1.", "2)", "www.", "http", "  ", "Hello", " world", "||"];
    let seed = 12345;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 20_000; i++) {
      let t = "";
      const len = 1 + Math.floor(next() * 12);
      for (let j = 0; j < len; j++) t += pieces[Math.floor(next() * pieces.length)];
      expect(md(t), JSON.stringify(t)).toBe(parsed(t));
    }
  });
});
