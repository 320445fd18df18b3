// Shared by the secrets sweeps (CLI: secrets-sweep.test.ts; running gateway:
// test/chaos/secrets-daemon.e2e.test.ts): a primary model whose provider
// echoes every request header it got back in its error (keys included),
// reached through an authenticating proxy with a secret header, and a
// fallback that answers.
import type { FakeLlm } from "../fakes/fake-llm.ts";
import type { FakeProxy } from "../fakes/fake-proxy.ts";

export interface SweepSecrets {
  key: string;
  backupKey: string;
  header: string;
  proxyPass: string;
}

/** model_list entries "main" (fails, echoing its headers) and "backup" (answers "fine") */
export function leakyModels(llm: FakeLlm, proxy: FakeProxy, s: SweepSecrets): Record<string, unknown>[] {
  return [
    {
      model_name: "main",
      model: "openai/echo-model",
      api_base: `${llm.url}/v1`,
      api_key: s.key,
      custom_headers: { "X-Tenant-Secret": s.header },
      proxy: `http://sweeper:${s.proxyPass}@127.0.0.1:${new URL(proxy.url).port}`,
    },
    { model_name: "backup", model: "anthropic-messages/claude-x", api_base: llm.url, api_key: s.backupKey },
  ];
}

/** the OpenAI-protocol provider fails with every header it received in its error; the Anthropic one answers */
export function echoHeadersInErrors(llm: FakeLlm): void {
  llm.setDefault((req) =>
    req.protocol === "openai"
      ? { status: 500, body: { error: { message: `upstream broke; you sent ${JSON.stringify(req.headers)} to ${req.path}`, type: "server_error" } } }
      : { reply: "fine" },
  );
}
