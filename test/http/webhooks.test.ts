// The channels' webhook routes as the HTTP server mounts them: once, with
// the live adapter looked up on every call and the raw request bytes handed
// over untouched.
import { afterEach, describe, expect, it } from "vitest";
import type { ChannelAdapter, WebhookHeaders } from "../../src/core/channel.ts";
import { serveWebhooks } from "./serve-webhooks.ts";
import type { RunningHttpServer } from "../../src/http/server.ts";

let server: RunningHttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** an adapter that records what its webhook received and answers with its name */
function recorder(name: string) {
  const calls: { headers: WebhookHeaders; body: Buffer }[] = [];
  const adapter: ChannelAdapter = {
    id: "test",
    capabilities: { maxTextLength: 100, format: "plain", typing: false, edit: false, voiceIn: false },
    start: async () => undefined,
    stop: async () => undefined,
    send: async () => ({ messageId: "1" }),
    handleWebhook: async (headers, body) => {
      calls.push({ headers, body });
      return { status: 200, body: name };
    },
  };
  return { adapter, calls };
}

async function serve(live: () => ChannelAdapter | undefined): Promise<string> {
  server = await serveWebhooks([{ id: "test", path: "/webhook/test" }], live);
  return `${server.url}/webhook/test`;
}

const post = (url: string, body: string, type = "application/json") => fetch(url, { method: "POST", headers: { "content-type": type }, body });

describe("webhook routes", () => {
  it("hands the handler the exact bytes the platform sent, whatever they are", async () => {
    const a = recorder("a");
    const url = await serve(() => a.adapter);
    const pretty = '{\n  "b": 2,   "a": 1\n}';
    expect((await post(url, pretty)).status).toBe(200);
    expect((await post(url, '{"a":')).status).toBe(200);
    expect((await post(url, "form=1", "application/x-www-form-urlencoded")).status).toBe(200);
    expect(a.calls.map((c) => c.body.toString())).toEqual([pretty, '{"a":', "form=1"]);
    expect(a.calls[0]!.headers["content-type"]).toBe("application/json");
  });

  it("serves whichever adapter is live now: a replaced adapter answers the next call", async () => {
    const first = recorder("first");
    const second = recorder("second");
    let live: ChannelAdapter | undefined = first.adapter;
    const url = await serve(() => live);
    expect(await (await post(url, "{}")).text()).toBe("first");
    live = second.adapter; // what a reload that restarts the channel does
    expect(await (await post(url, "{}")).text()).toBe("second");
    expect(first.calls).toHaveLength(1);
    expect(second.calls).toHaveLength(1);
  });

  it("answers 503 with the reason while the channel is not running", async () => {
    const url = await serve(() => undefined);
    const res = await post(url, "{}");
    expect(res.status).toBe(503);
    expect(await res.text()).toMatch(/channel test is not running/);
  });

  it("answers 500 without details when the handler throws", async () => {
    const a = recorder("a");
    a.adapter.handleWebhook = async () => {
      throw new Error("secret internals");
    };
    const url = await serve(() => a.adapter);
    const res = await post(url, "{}");
    expect(res.status).toBe(500);
    expect(await res.text()).not.toMatch(/secret internals/);
  });

  it("leaves JSON parsing of the other routes alone", async () => {
    const url = await serve(() => undefined);
    const res = await fetch(url.replace("/webhook/test", "/v1/chat/completions"), { method: "POST", headers: { "content-type": "application/json" }, body: '{"a":' });
    expect(res.status).toBe(400);
  });
});
