import { describe, expect, it } from "vitest";
import { bodyFor, markdownForFeishu, neutralizeMentions } from "../../../channels/feishu/format.ts";

describe("feishu outbound format", () => {
  it("sends markdown as a post with one md element, and plain text as text", () => {
    const post = bodyFor({ text: "**bold** and `code`", format: "markdown" });
    expect(post.msg_type).toBe("post");
    expect(JSON.parse(post.content)).toEqual({ zh_cn: { content: [[{ tag: "md", text: "**bold** and `code`" }]] } });
    const text = bodyFor({ text: "just words", format: "plain" });
    expect(text).toEqual({ msg_type: "text", content: JSON.stringify({ text: "just words" }) });
  });

  it("turns headings into bold lines, but not inside code blocks", () => {
    expect(markdownForFeishu("# Title\ntext\n## Sub ##\n```\n# comment\n```")).toBe("**Title**\ntext\n**Sub**\n```\n# comment\n```");
  });

  it("never lets quoted <at> markup mention anyone", () => {
    const out = neutralizeMentions('hi <at user_id="all"></at> and <AT id=x>');
    expect(out).not.toMatch(/<at/i);
    expect(out.replace(/\u200b/g, "")).toBe('hi <at user_id="all"></at> and <AT id=x>');
    expect(JSON.parse(bodyFor({ text: '<at user_id="all">x</at>', format: "plain" }).content).text).not.toMatch(/<at/);
  });

  it("adds a media URL to the words", () => {
    const b = bodyFor({ text: "look", format: "plain", media: { kind: "image", mimeType: "image/png", url: "https://x.test/a.png" } });
    expect(JSON.parse(b.content).text).toBe("look\nhttps://x.test/a.png");
  });
});
