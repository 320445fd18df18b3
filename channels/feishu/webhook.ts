// Webhook mode: Feishu POSTs each event to the gateway's HTTP server
// (route /webhook/feishu), which hands it here with its headers.
//
//   - an encrypted body {"encrypt": ...} is decrypted with encrypt_key
//     (no key, or the wrong one → 400);
//   - url_verification (saving the request URL in the console) is answered
//     with {"challenge": ...} once its token matches verification_token;
//   - an event must carry a valid X-Lark-Signature when encrypt_key is set
//     (computed over the raw request bytes exactly as Feishu sent them, with
//     an X-Lark-Request-Timestamp no older than MAX_AGE_SECONDS, so a
//     captured call cannot be replayed later), and header.token =
//     verification_token when that is set (→ 401);
//   - a body that is not an event of schema 2.0 → 400 with the reason, and
//     nothing is emitted;
//   - an event is acknowledged with 200 only after the gateway stored it;
//     500 makes Feishu deliver it again.
import type { Logger } from "../../src/core/logger.ts";
import { decryptEvent, signature, signatureMatches, tokenMatches } from "./crypto.ts";
import { EncryptedBody, EventEnvelope, issueText, UrlVerification, type EventEnvelopeT } from "./schema.ts";
import { errorMessage } from "../../src/core/errors.ts";

export const WEBHOOK_PATH = "/webhook/feishu";

/** how far a signed call's timestamp may be from our clock, either way */
export const MAX_AGE_SECONDS = 300;

export interface WebhookResponse {
  status: number;
  body?: string;
  /** Feishu reads the challenge answer as JSON */
  headers?: Record<string, string>;
}

export type WebhookHeaders = Record<string, string | string[] | undefined>;

export interface WebhookDeps {
  encryptKey: string | undefined;
  verificationToken: string | undefined;
  /** why the route is off (websocket mode), or undefined */
  disabled: () => { status: number; reason: string } | undefined;
  /** why events cannot be taken right now (not started), or undefined */
  unavailable: () => { status: number; reason: string } | undefined;
  /** stores the event; throws when it could not be stored */
  process: (event: EventEnvelopeT) => Promise<void>;
  logger: Logger;
  /** epoch ms; default Date.now */
  now?: () => number;
}

/** Thrown by `process` for an event whose body has the wrong shape: answered with 400. */
export class MalformedEvent extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MalformedEvent";
  }
}

const JSON_TYPE = { "content-type": "application/json; charset=utf-8" };

function reply(status: number, body: unknown): WebhookResponse {
  return { status, body: JSON.stringify(body), headers: JSON_TYPE };
}

function refuse(status: number, reason: string): WebhookResponse {
  return reply(status, { error: reason });
}

function header(headers: WebhookHeaders, name: string): string | undefined {
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() === name) return Array.isArray(v) ? v[0] : v;
  }
  return undefined;
}

/** The raw bytes (what Feishu signed) and the parsed value. */
function decodeBody(body: Buffer | string): { raw: Buffer; value: unknown } | undefined {
  const raw = typeof body === "string" ? Buffer.from(body) : body;
  try {
    return { raw, value: JSON.parse(raw.toString("utf8")) };
  } catch {
    return undefined;
  }
}

/** why a signed call is refused, or undefined when its signature and timestamp hold */
function badSignature(deps: WebhookDeps, headers: WebhookHeaders, raw: Buffer): string | undefined {
  const ts = header(headers, "x-lark-request-timestamp") ?? "";
  const nonce = header(headers, "x-lark-request-nonce") ?? "";
  if (!signatureMatches(signature(ts, nonce, deps.encryptKey!, raw), header(headers, "x-lark-signature"))) return "missing or wrong X-Lark-Signature";
  const seconds = Number(ts);
  const age = Math.abs((deps.now ?? Date.now)() / 1000 - seconds);
  if (!/^\d+$/.test(ts) || age > MAX_AGE_SECONDS) return `X-Lark-Request-Timestamp is missing or more than ${MAX_AGE_SECONDS} s from this gateway's clock (a replayed call, or a wrong clock here)`;
  return undefined;
}

export async function handleFeishuWebhook(deps: WebhookDeps, headers: WebhookHeaders, body: Buffer | string): Promise<WebhookResponse> {
  const off = deps.disabled();
  if (off) return refuse(off.status, off.reason);
  const decoded = decodeBody(body);
  if (!decoded) return refuse(400, "the body is not JSON: expected one Feishu event");
  let value = decoded.value;
  let encrypted = false;
  const sealed = EncryptedBody.safeParse(value);
  if (sealed.success) {
    if (!deps.encryptKey) return refuse(400, "the body is encrypted but channels.feishu.encrypt_key is not set; copy the Encrypt Key from the developer console");
    try {
      value = JSON.parse(decryptEvent(deps.encryptKey, sealed.data.encrypt));
    } catch {
      deps.logger.warn("a Feishu webhook body could not be decrypted; check channels.feishu.encrypt_key");
      return refuse(400, "the body could not be decrypted: channels.feishu.encrypt_key does not match the app's Encrypt Key");
    }
    encrypted = true;
  }

  const challenge = UrlVerification.safeParse(value);
  if (challenge.success) {
    const token = deps.verificationToken;
    const trusted = token ? tokenMatches(token, challenge.data.token) : encrypted;
    if (!trusted) {
      deps.logger.warn("Feishu url_verification with the wrong token; check channels.feishu.verification_token");
      return refuse(401, "wrong verification token");
    }
    deps.logger.info("answered Feishu's url_verification challenge");
    return reply(200, { challenge: challenge.data.challenge });
  }

  if (deps.encryptKey) {
    const bad = badSignature(deps, headers, decoded.raw);
    if (bad) {
      deps.logger.warn({ reason: bad }, "Feishu webhook call refused; ignored");
      return refuse(401, bad);
    }
  }
  const event = EventEnvelope.safeParse(value);
  if (!event.success) return refuse(400, issueText(event.error, "a Feishu event of schema 2.0"));
  if (deps.verificationToken && !tokenMatches(deps.verificationToken, event.data.header.token)) {
    deps.logger.warn({ eventType: event.data.header.event_type }, "Feishu webhook event with the wrong verification token; ignored");
    return refuse(401, "wrong verification token");
  }
  const down = deps.unavailable();
  if (down) return refuse(down.status, down.reason);
  try {
    await deps.process(event.data);
  } catch (err) {
    if (err instanceof MalformedEvent) return refuse(400, err.message);
    deps.logger.warn(
      { eventId: event.data.header.event_id, err: errorMessage(err) },
      "could not store a Feishu webhook event; Feishu will deliver it again",
    );
    return refuse(500, "could not store the event; deliver it again later");
  }
  return reply(200, {});
}
