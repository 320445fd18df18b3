// Markdown flattened for QQ's plain text, and URLs defanged for bots whose
// console has no registered URLs.
import { describe, expect, it } from "vitest";
import { defangUrls, markdownToPlain } from "../../../channels/qq/format.ts";

describe("markdownToPlain", () => {
  it("drops emphasis, heading hashes, inline-code backticks and fences", () => {
    expect(markdownToPlain("# Plan\n### Step *one*\n**Bold**, __also__, _it_, ~~gone~~ and `npm test`")).toBe("Plan\nStep one\nBold, also, it, gone and npm test");
    expect(markdownToPlain("```ts\nconst a = **not bold**;\n```\nafter")).toBe("const a = **not bold**;\nafter");
  });

  it("writes links and images out as text with their URL", () => {
    expect(markdownToPlain("see [the docs](https://x.example/d) or <https://y.example>")).toBe("see the docs (https://x.example/d) or https://y.example");
    expect(markdownToPlain("![a cat](https://x.example/cat.png)")).toBe("a cat (https://x.example/cat.png)");
    expect(markdownToPlain("[https://x.example](https://x.example)")).toBe("https://x.example");
  });

  it("leaves what is not emphasis alone: lists, maths, snake_case, quotes", () => {
    const text = "- item one\n- item two\n\n1. first\n\n2 * 3 * 4 = 24\nuse my_var_name here and a*b*c\n> quoted";
    expect(markdownToPlain(text)).toBe(text);
    // other bullet markers read as the same list
    expect(markdownToPlain("* one\n+ two")).toBe("- one\n- two");
  });
});

describe("defangUrls", () => {
  it("breaks URLs and bare domains so they no longer read as links", () => {
    expect(defangUrls("go to https://example.com/a?b=1 now")).toBe("go to example[.]com/a?b=1 now");
    expect(defangUrls("www.qq.com, docs.python.org.")).toBe("www[.]qq[.]com, docs[.]python[.]org.");
    expect(defangUrls("no links here, version 1.2.3")).toBe("no links here, version 1.2.3");
  });
});
