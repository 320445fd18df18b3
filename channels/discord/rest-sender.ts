// How @discordjs/rest sends its requests. Without a proxy they go through the
// lean fetch (its own HTTP/1.1 exchange) the Telegram channel and the model clients use
// (src/net/lean-fetch.ts): the default sender, undici's `request`, ran on the
// global dispatcher of Node's own undici, whose first connection compiles
// llhttp's WebAssembly (~20 ms of CPU before /ready, measured against the
// fakes) and which nothing else in a gateway needs. With channels.discord.proxy
// the default sender stays: it carries the ProxyAgent.
import { leanFetch } from "../../src/net/lean-fetch.ts";

export type MakeRequest = (url: string, init: RequestInit) => Promise<unknown>;

/** the sender for a client without a proxy agent */
export function leanSender(): MakeRequest {
  return withMultipartBodies(async (url, init) => {
    try {
      return await leanFetch(url, init);
    } catch (err) {
      // a connection failure rejects with the socket's own error (ECONNREFUSED, ENOTFOUND, …), as
      // undici's request did: the login error names the code (errors.ts), retries look for ECONNRESET
      throw err instanceof TypeError && err.message === "fetch failed" && err.cause instanceof Error ? err.cause : err;
    }
  });
}

/**
 * @discordjs/rest's default sender (undici 6 `request`) cannot send the
 * FormData it builds for attachments on Node 24 ("action is not a function"),
 * so a message with a file never arrived. The form is encoded to bytes with
 * its multipart content type here, and the sender sends those. The form is
 * told by its tag, not by `instanceof FormData`: reading the global FormData
 * loads Node's undici.
 */
export function withMultipartBodies(send: MakeRequest): MakeRequest {
  return async (url, init) => {
    const body = init.body as { [Symbol.toStringTag]?: string } | null | undefined;
    if (body?.[Symbol.toStringTag] !== "FormData") return send(url, init);
    const encoded = new Response(init.body);
    const bytes = Buffer.from(await encoded.arrayBuffer());
    // @discordjs/rest passes its headers as a plain object
    const headers = { ...(init.headers as Record<string, string> | undefined), "content-type": encoded.headers.get("content-type") ?? "multipart/form-data" };
    return send(url, { ...init, body: bytes, headers });
  };
}
