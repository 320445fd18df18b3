// The shared channel contract: every channel, run inside the real gateway
// daemon against its fake platform, must answer an allowed user once, keep
// strangers away from the model, deliver long replies in order, come back
// after a dropped connection, and lose nothing across a crash.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startFakeLlm, type FakeLlm } from "../fakes/fake-llm.ts";
import { startDaemon, waitFor, writeConfig, type RunningDaemon } from "../e2e/daemon.ts";

export interface ChannelHarness {
  channel: string;
  config(): Record<string, unknown>;
  allowEntry(userId: string): string;
  userSays(userId: string, text: string): Promise<void>;
  sentTo(userId: string): string[];
  dropConnection(): Promise<void>;
  close(): Promise<void>;
}

export function channelContract(name: string, startHarness: () => Promise<ChannelHarness>, users: { allowed: string; stranger: string }): void {
  describe(`${name}: channel contract`, () => {
    let llm: FakeLlm;
    let h: ChannelHarness;
    let home: string;
    let daemon: RunningDaemon | undefined;

    beforeAll(async () => {
      llm = await startFakeLlm();
      h = await startHarness();
    });
    afterAll(async () => {
      await Promise.all([llm.close(), h.close()]);
    });
    beforeEach(async () => {
      home = mkdtempSync(join(tmpdir(), `sb-contract-${name}-`));
      llm.requests.length = 0;
      llm.setDefault((req) => ({ reply: `echo: ${JSON.stringify((req.body.messages as { content: unknown }[]).at(-1)!.content)}` }));
      writeConfig(home, {
        model_list: [{ model_name: "m", model: "openai/m", api_base: `${llm.url}/v1` }],
        agents: { defaults: { model_name: "m" } },
        channels: { [h.channel]: { ...h.config(), enabled: true, allow_from: [h.allowEntry(users.allowed)] } },
      });
      daemon = await startDaemon(home);
      await waitFor(async () => (await fetch(`${daemon!.url}/ready`)).status === 200 || undefined, `${name} online`, 20_000);
    });
    afterEach(async () => {
      await daemon?.stop();
      daemon = undefined;
      rmSync(home, { recursive: true, force: true });
    });

    const replies = (user: string) => h.sentTo(user).length;

    it("answers an allowed user exactly once", async () => {
      const before = replies(users.allowed);
      await h.userSays(users.allowed, "contract hello");
      await waitFor(() => replies(users.allowed) > before || undefined, "a reply", 10_000);
      await new Promise((r) => setTimeout(r, 500));
      expect(h.sentTo(users.allowed).slice(before)).toEqual(['echo: "contract hello"']);
    });

    it("keeps a stranger away from the model", async () => {
      await h.userSays(users.stranger, "let me in");
      await new Promise((r) => setTimeout(r, 800));
      expect(llm.requests).toHaveLength(0);
    });

    it("delivers a long reply in order", async () => {
      const paras = Array.from({ length: 40 }, (_, i) => `Paragraph ${i}: ${"lorem ipsum dolor sit amet ".repeat(12).trim()}.`);
      llm.script({ reply: paras.join("\n\n") });
      const before = replies(users.allowed);
      await h.userSays(users.allowed, "long one");
      await waitFor(() => h.sentTo(users.allowed).slice(before).join("\n").includes("Paragraph 39") || undefined, "the whole reply", 15_000);
      const got = h.sentTo(users.allowed).slice(before);
      expect(got.length).toBeGreaterThan(1);
      const order = got.join("\n").match(/Paragraph \d+/g)!.map((p) => Number(p.slice(10)));
      expect(order).toEqual(Array.from({ length: 40 }, (_, i) => i));
    });

    it("comes back after the platform drops the connection", async () => {
      await h.dropConnection();
      const before = replies(users.allowed);
      await h.userSays(users.allowed, "after the drop");
      await waitFor(() => replies(users.allowed) > before || undefined, "a reply after reconnect", 20_000);
      expect(h.sentTo(users.allowed).at(-1)).toBe('echo: "after the drop"');
    });

    it("loses nothing when the gateway crashes mid-turn", async () => {
      llm.script({ reply: "never delivered", delayMs: 3000 });
      const before = replies(users.allowed);
      await h.userSays(users.allowed, "crash test");
      await waitFor(() => llm.requests.length > 0 || undefined, "the model call");
      await daemon!.kill();
      daemon = await startDaemon(home);
      await waitFor(() => replies(users.allowed) > before || undefined, "the reply after restart", 20_000);
      await new Promise((r) => setTimeout(r, 800));
      expect(h.sentTo(users.allowed).slice(before)).toEqual(['echo: "crash test"']);
    });
  });
}
