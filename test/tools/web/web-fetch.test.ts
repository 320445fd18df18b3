// web_fetch against a local page server: readable text out of HTML, plain text
// and JSON as they are, caps on bytes and characters, refusals as ToolErrors.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { systemClock } from "../../../src/core/clock.ts";
import { silentLogger } from "../../../src/core/logger.ts";
import type { Resolver } from "../../../src/net/guarded-fetch.ts";
import { createWebFetchTool, webFetchArgs, type WebFetchConfig } from "../../../src/tools/web-fetch.ts";
import { ToolError, type ToolContext } from "../../../src/tools/types.ts";
import { startPagesServer, type PagesServer } from "./pages-server.ts";

let server: PagesServer;
beforeAll(async () => {
  server = await startPagesServer();
});
afterAll(() => server.close());

const resolve: Resolver = async (host) => {
  const table: Record<string, string[]> = { "pages.test": ["127.0.0.1"], "down.test": ["127.0.0.1"], "evil.test": ["192.168.7.7"] };
  const answer = table[host];
  if (!answer) throw Object.assign(new Error("ENOTFOUND"), { code: "ENOTFOUND" });
  return answer;
};

function ctx(signal: AbortSignal = new AbortController().signal): ToolContext {
  return { origin: { sessionKey: "s", channel: "cli", chatId: "c" }, signal, logger: silentLogger(), clock: systemClock };
}

function tool(config: WebFetchConfig = {}) {
  return createWebFetchTool({ allow_hosts: ["pages.test", "down.test"], ...config }, { resolve });
}

const page = (path: string) => `http://pages.test:${server.port}${path}`;

async function run(url: string, config: WebFetchConfig = {}, maxChars?: number): Promise<string> {
  const out = await tool(config).run({ url, ...(maxChars ? { max_chars: maxChars } : {}) }, ctx());
  return typeof out === "string" ? out : out.text;
}

async function toolError(url: string, config: WebFetchConfig = {}): Promise<string> {
  const err = await run(url, config).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ToolError);
  return (err as ToolError).message;
}

describe("web_fetch: content", () => {
  it("reduces an HTML page to its title and article text, without scripts, styles or navigation", async () => {
    const out = await run(page("/article"));
    expect(out.startsWith(`URL: ${page("/article")}\nTitle: Tide tables explained\n\n`)).toBe(true);
    expect(out).toContain("Tides are the rise and fall of sea levels");
    expect(out).toContain("leave a margin of safety.");
    expect(out).toContain("- High water: 06:12, 4.8 m\n- Low water: 12:25, 0.9 m");
    for (const gone of ["SCRIPT-MARKER", "trackingSecret", "secret-style", "font-family", "Shop", "Cookie settings"]) {
      expect(out).not.toContain(gone);
    }
    // paragraphs stay apart, and the words inside one are not run together
    expect(out).toMatch(/plan\.\n\nMost coasts/);
    expect(out).toContain("exerted by the Moon and the Sun");
  });

  it("falls back to the body text when Readability finds no article", async () => {
    const out = await run(page("/aside-only"));
    expect(out).toContain("Title: Widget");
    expect(out).toContain("Opening hours: 9 to 5 on weekdays.");
    expect(out).not.toContain("ASIDE-SCRIPT-MARKER");
  });

  it("returns plain text as it is, with line endings normalized", async () => {
    const out = await run(page("/plain"));
    expect(out).toBe(`URL: ${page("/plain")}\n\nPlain café text.\nSecond line.`);
  });

  it("decodes the charset the server declares", async () => {
    expect(await run(page("/latin1"))).toContain("Café crème");
  });

  it("pretty-prints JSON, including +json types", async () => {
    const out = await run(page("/json"));
    expect(out).toContain('{\n  "name": "switchboard",\n  "tags": [\n    "a",\n    "b"\n  ],\n  "nested": {\n    "ok": true,');
    expect(await run(page("/problem-json"))).toContain('{\n  "title": "Not here"\n}');
  });

  it("sniffs an untyped HTML body and refuses an untyped binary one", async () => {
    expect(await run(page("/untyped-html"))).toContain("Sniffed as HTML.");
    expect(await toolError(page("/untyped-binary"))).toMatch(/does not look like text/);
  });

  it.each([
    ["/pdf", "application/pdf"],
    ["/image", "image/png"],
  ])("refuses %s (%s) with a sentence and does not read it", async (path, mime) => {
    const message = await toolError(page(path));
    expect(message).toBe(`refused: ${page(path)} is ${mime}, which web_fetch cannot read (it reads HTML, plain text and JSON)`);
  });

  it("sends a user agent and an accept header", async () => {
    const out = await run(page("/headers"));
    expect(out).toMatch(/"user-agent": "Mozilla\/5\.0 \(compatible; Switchboard/);
    expect(out).toMatch(/"accept": "text\/html/);
  });
});

describe("web_fetch: limits", () => {
  it("cuts text at 20,000 characters by default and says so", async () => {
    const out = await run(page("/long-text"));
    expect(out).toContain("[truncated: showing the first 20000 of 50000 characters]");
    expect(out).toContain("abcdefghij".repeat(2_000));
    expect(out).not.toContain("abcdefghij".repeat(2_001));
  });

  it("takes a smaller max_chars from the model, but never more than the configured one", async () => {
    const small = await run(page("/long-text"), {}, 1_000);
    expect(small).toContain("[truncated: showing the first 1000 of 50000 characters]");
    const capped = await run(page("/long-text"), { max_chars: 500 }, 40_000);
    expect(capped).toContain("[truncated: showing the first 500 of 50000 characters]");
  });

  it("does not mark text that fits", async () => {
    expect(await run(page("/long-text"), { max_chars: 60_000 })).not.toContain("truncated");
  });

  it("stops reading at max_bytes and says the response was larger", async () => {
    const out = await run(page("/big"), { max_bytes: 10_000 });
    expect(out).toContain("line 00000");
    expect(out).toContain("line 00099"); // 100 lines of 100 bytes
    expect(out).not.toContain("line 00100");
    expect(out).toContain("[the response was larger than 10000 bytes; only the first 10000 were read]");
  });

  it("hangs up on an endless body instead of downloading it", async () => {
    const before = server.endlessAborted();
    const out = await run(page("/endless"), { max_bytes: 64 * 1024 });
    expect(out).toContain("[the response was larger than 65536 bytes");
    await vi.waitFor(() => expect(server.endlessAborted()).toBe(before + 1));
  });

  it("gives up after the timeout", async () => {
    expect(await toolError(page("/slow"), { timeout_seconds: 0.3 })).toBe(`timed out after 0.3 s fetching ${page("/slow")}`);
  });
});

describe("web_fetch: refusals and failures", () => {
  it("refuses private addresses with the reason", async () => {
    expect(await toolError("http://10.0.0.5/")).toBe("refused: 10.0.0.5 is a private address");
    expect(await toolError("http://[::ffff:127.0.0.1]/")).toBe("refused: [::ffff:7f00:1] is a loopback address");
    expect(await toolError("http://evil.test/")).toBe("refused: evil.test resolves to 192.168.7.7, a private address");
  });

  it("refuses a redirect into the local network", async () => {
    const to = encodeURIComponent(`http://127.0.0.1:${server.port}/secret`);
    expect(await toolError(page(`/redirect?to=${to}`))).toBe("refused: 127.0.0.1 is a loopback address");
    expect(await toolError(page(`/redirect?to=${encodeURIComponent("http://169.254.169.254/")}`))).toBe(
      "refused: 169.254.169.254 is a cloud metadata address",
    );
    expect(server.hits).not.toContain("/secret");
  });

  it("refuses other schemes and bad URLs", async () => {
    expect(await toolError("file:///etc/passwd")).toBe("refused: only http and https URLs can be fetched, not file:");
    expect(await toolError("::nope")).toBe('refused: "::nope" is not a valid URL');
  });

  it("reports HTTP errors with the status", async () => {
    expect(await toolError(page("/status/404"))).toBe(`HTTP 404 Not Found from ${page("/status/404")}`);
    expect(await toolError(page("/status/503"))).toBe(`HTTP 503 Service Unavailable from ${page("/status/503")}`);
  });

  it("reports unresolvable hosts and refused connections", async () => {
    expect(await toolError("http://nowhere.test/")).toBe("could not resolve nowhere.test (ENOTFOUND)");
    // a port that was just freed: nothing listens there
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((r) => probe.close(() => r()));
    expect(await toolError(`http://down.test:${port}/`)).toBe(`could not fetch http://down.test:${port}/: ECONNREFUSED`);
  });

  it("lets a cancelled turn's abort through instead of a ToolError", async () => {
    const ac = new AbortController();
    const pending = tool().run({ url: page("/slow") }, ctx(ac.signal));
    setTimeout(() => ac.abort(new Error("turn cancelled")), 30);
    const err = await pending.catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(ToolError);
    expect((err as Error).message).toBe("turn cancelled");
  });
});

describe("web_fetch: arguments", () => {
  it("requires a url and a sensible max_chars", () => {
    expect(webFetchArgs.safeParse({}).success).toBe(false);
    expect(webFetchArgs.safeParse({ url: "   " }).success).toBe(false);
    expect(webFetchArgs.safeParse({ url: "https://example.com", max_chars: 5 }).success).toBe(false);
    expect(webFetchArgs.safeParse({ url: "https://example.com", max_chars: 1.5 }).success).toBe(false);
    expect(webFetchArgs.parse({ url: " https://example.com " })).toEqual({ url: "https://example.com" });
  });

  it("is named web_fetch", () => {
    expect(tool().name).toBe("web_fetch");
  });
});
