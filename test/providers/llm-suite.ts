// The fake model server the provider client test files share: each file that
// calls useFakeLlm() gets its own server for its tests, emptied of recorded
// requests and set back to a plain "ok" answer before each test. `llm` is a
// live binding: read it inside tests and hooks, once useFakeLlm's beforeAll ran.
import { afterAll, beforeAll, beforeEach } from "vitest";
import type { ChatRequest } from "../../src/core/chat.ts";
import type { ModelEntry } from "../../src/providers/types.ts";
import { startFakeLlm, type FakeLlm } from "../fakes/fake-llm.ts";
import { entry } from "./entries.ts";

export let llm: FakeLlm;

export function useFakeLlm(): void {
  beforeAll(async () => {
    llm = await startFakeLlm();
  });
  afterAll(() => llm.close());
  beforeEach(() => {
    llm.requests.length = 0;
    llm.setDefault({ reply: "ok" });
  });
}

export const hello: ChatRequest = { messages: [{ role: "system", content: "be brief" }, { role: "user", content: "hello" }] };
/** an OpenAI-compatible entry pointed at the fake server */
export const oa = (over: Partial<ModelEntry> = {}) => entry({ apiBase: `${llm.url}/v1`, ...over });
