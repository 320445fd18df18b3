// Feishu's side of webhook mode: POSTs an event (or the url_verification
// challenge) to a URL the way the open platform does — optionally encrypted
// with the app's Encrypt Key (AES-256-CBC, key SHA-256(encrypt_key), random
// IV in front, base64) and signed (X-Lark-Signature = hex SHA-256 of
// timestamp + nonce + encrypt_key + body bytes).
import { createCipheriv, createHash, randomBytes } from "node:crypto";

export function encryptPayload(encryptKey: string, plaintext: string): string {
  const key = createHash("sha256").update(encryptKey).digest();
  const iv = randomBytes(16);
  const cipher = createCipheriv("aes-256-cbc", key, iv);
  return Buffer.concat([iv, cipher.update(plaintext, "utf8"), cipher.final()]).toString("base64");
}

export function larkSignature(timestamp: string, nonce: string, encryptKey: string, body: string): string {
  return createHash("sha256").update(timestamp + nonce + encryptKey + body).digest("hex");
}

export function urlVerification(token: string, challenge = randomBytes(12).toString("hex")): Record<string, unknown> {
  return { challenge, token, type: "url_verification" };
}

export interface WebhookSendOptions {
  /** encrypt the payload into {"encrypt": ...} with this key */
  encryptWith?: string;
  /** sign with this key (Feishu signs with the Encrypt Key whenever one is set) */
  signWith?: string;
  /** send this signature instead of the right one */
  signature?: string;
  /** send this text as the body, as is */
  rawBody?: string;
  /** X-Lark-Request-Timestamp (epoch seconds); default now */
  timestamp?: string;
  headers?: Record<string, string>;
}

export interface WebhookAnswer {
  status: number;
  contentType: string | null;
  text: string;
  json: unknown;
}

/** POSTs like Feishu does; answers what the server said */
export async function postWebhook(url: string, payload: unknown, opts: WebhookSendOptions = {}): Promise<WebhookAnswer> {
  const body = opts.rawBody ?? JSON.stringify(opts.encryptWith ? { encrypt: encryptPayload(opts.encryptWith, JSON.stringify(payload)) } : payload);
  const timestamp = opts.timestamp ?? String(Math.floor(Date.now() / 1000));
  const nonce = randomBytes(8).toString("hex");
  const sig = opts.signature ?? (opts.signWith ? larkSignature(timestamp, nonce, opts.signWith, body) : undefined);
  const res = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json; charset=utf-8",
      "user-agent": "Go-http-client/1.1",
      "x-lark-request-timestamp": timestamp,
      "x-lark-request-nonce": nonce,
      ...(sig ? { "x-lark-signature": sig } : {}),
      ...opts.headers,
    },
    body,
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, contentType: res.headers.get("content-type"), text, json };
}
