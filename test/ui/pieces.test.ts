// The control page's helpers: secrets never leave for the browser and come
// back intact, diffs read like `diff -u`, and the log tail stays bounded.
import { describe, expect, it } from "vitest";
import { maskConfig, unmaskConfig } from "../../src/ui/config-secrets.ts";
import { unifiedDiff } from "../../src/ui/diff.ts";
import { LogTail } from "../../src/ui/log-tail.ts";

const CONFIG = `{
  // comments survive
  "model_list": [{ "model_name": "gpt", "model": "openai/gpt", "api_key": "sk-live-abc123", "custom_headers": { "X-Org": "org-secret-9" } }],
  "providers": { "openrouter": { "api_key": '\${OPENROUTER_KEY}', "proxy": "http://user:hunter2@proxy.local:3128" } },
  "channels": { "telegram": { "enabled": true, "token": "123:tg-token", "allow_from": ["42"] }, "feishu": { "app_secret": "fs-secret" } },
  "gateway": { "token": "gw-token" },
  tools: { web: { search: { api_base: "https://search.local/?key=q-key-77" } } },
}`;

describe("config secrets for the browser", () => {
  it("replaces every secret with a placeholder and keeps comments, layout and ${VAR} references", () => {
    const masked = maskConfig(CONFIG)!;
    for (const secret of ["sk-live-abc123", "org-secret-9", "hunter2", "123:tg-token", "fs-secret", "gw-token", "q-key-77"]) expect(masked.text).not.toContain(secret);
    expect(masked.text).toContain("// comments survive");
    expect(masked.text).toContain("'${OPENROUTER_KEY}'");
    expect(masked.text).toMatch(/"api_key": "‹secret \d+: unchanged›"/);
    expect(masked.text).toContain('"allow_from": ["42"]');
  });

  it("puts the secrets back on the way in, edits and all", () => {
    const masked = maskConfig(CONFIG)!;
    const edited = masked.text.replace('"allow_from": ["42"]', '"allow_from": ["42", "43"]');
    const back = unmaskConfig(edited, masked.secrets);
    expect(back).toEqual({ text: CONFIG.replace('"allow_from": ["42"]', '"allow_from": ["42", "43"]') });
  });

  it("refuses a placeholder that stands for no secret", () => {
    const masked = maskConfig(CONFIG)!;
    const res = unmaskConfig('{ "api_key": "‹secret 99: unchanged›" }', masked.secrets);
    expect(res).toEqual({ error: '"‹secret 99: unchanged›" does not stand for any current secret: type the value itself' });
  });

  it("shows nothing of a file that does not parse (it might be all secrets)", () => {
    expect(maskConfig('{ "token": "abc" ')).toBeUndefined();
  });
});

describe("unified diff", () => {
  it("is empty for the same text and shows changed lines with context", () => {
    const before = ["a", "b", "c", "d", "e", "f", "g", "h", "i"].join("\n");
    expect(unifiedDiff(before, before)).toBe("");
    const after = before.replace("e", "E").replace("i", "i\nj");
    expect(unifiedDiff(before, after)).toBe(["--- running", "+++ edited", "@@ -2,8 +2,9 @@", " b", " c", " d", "-e", "+E", " f", " g", " h", " i", "+j"].join("\n"));
  });

  it("splits far-apart changes into separate hunks", () => {
    const before = Array.from({ length: 30 }, (_, i) => `line ${i}`).join("\n");
    const after = before.replace("line 2\n", "line two\n").replace("line 27", "line twenty-seven");
    const hunks = unifiedDiff(before, after).split("\n").filter((l) => l.startsWith("@@"));
    expect(hunks).toEqual(["@@ -1,6 +1,6 @@", "@@ -25,6 +25,6 @@"]);
  });
});

describe("log tail", () => {
  it("parses pino lines split across writes, keeps the newest within its capacity, and tells listeners", () => {
    const tail = new LogTail(3);
    const seen: string[] = [];
    tail.subscribe((l) => seen.push(l.msg));
    const line = (n: number, level = 30) => JSON.stringify({ level, time: 1000 + n, pid: 1, hostname: "h", msg: `m${n}`, channel: "telegram" }) + "\n";
    const all = line(1) + line(2, 40) + line(3) + line(4, 50);
    tail.stream.write(all.slice(0, 25));
    tail.stream.write(all.slice(25));
    expect(seen).toEqual(["m1", "m2", "m3", "m4"]);
    expect(tail.recent(10).map((l) => [l.seq, l.level, l.msg])).toEqual([
      [2, "warn", "m2"],
      [3, "info", "m3"],
      [4, "error", "m4"],
    ]);
    expect(tail.recent(1)[0]!.fields).toEqual({ channel: "telegram" });
  });
});
