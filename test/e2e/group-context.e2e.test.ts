// The real daemon, the fake Telegram Bot API and the fake LLM: in a group,
// the model is told who is talking and what they reply to.
import { describe, expect, it } from "vitest";
import { startDaemon, waitFor, writeConfig } from "./daemon.ts";
import { llm, run, tg, useFakes } from "./fakes-fixture.ts";

const GROUP = -100777;
useFakes({ homePrefix: "sb-e2e-group-" });

const userTexts = () =>
  llm.requests.flatMap((r) => r.body.messages as { role: string; content: unknown }[]).filter((m) => m.role === "user").map((m) => String(m.content));

describe("group context end to end", () => {
  it("a group reply reaches the model as 'Name: (replying to …)' with the quoted text", async () => {
    writeConfig(run.home, {
      model_list: [{ model_name: "main", model: "openai/main-model", api_base: `${llm.url}/v1`, api_key: "sk-main-1234567890" }],
      agents: { defaults: { model_name: "main" } },
      channels: { telegram: { enabled: true, token: tg.token, api_base: tg.url, allow_from: ["1001"] } },
    });
    run.daemon = await startDaemon(run.home);
    const bot = tg.botInfo().username;
    tg.userMessage({ chatId: GROUP, chatType: "supergroup", fromId: 1001, firstName: "Ana", text: `@${bot} is that right?`, replyTo: 2002 });
    const seen = await waitFor(() => userTexts().find((t) => t.includes("is that right?")), "the group message at the model", 15_000);
    expect(seen).toBe(`Ana: (replying to Bob)\n> earlier\n@${bot} is that right?`);
    await waitFor(() => tg.sent.find((m) => String(m.chat_id) === String(GROUP)), "the answer in the group", 15_000);
  });
});
