// Webhook mode: Telegram POSTs each Update to the gateway's HTTP server,
// which hands it here. The secret header is checked first (wrong or missing
// → 401), then the body's shape (→ 400 with the reason); an update is
// acknowledged with 200 only after the gateway stored it, otherwise 500 makes
// Telegram deliver it again.
import { timingSafeEqual } from "node:crypto";
import type { Logger } from "../../src/core/logger.ts";
import { parseUpdate, type TgUpdate } from "./schema.ts";
import { errorMessage } from "../../src/core/errors.ts";

export const SECRET_HEADER = "x-telegram-bot-api-secret-token";

export interface WebhookResponse {
  status: number;
  body?: string;
}

export type WebhookHeaders = Record<string, string | string[] | undefined>;

export interface WebhookDeps {
  secret: string;
  /** why updates cannot be taken right now (not started, polling mode), or undefined */
  unavailable: () => { status: number; reason: string } | undefined;
  process: (update: TgUpdate) => Promise<void>;
  logger: Logger;
}

function headerValue(headers: WebhookHeaders, name: string): string | undefined {
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() !== name) continue;
    return Array.isArray(v) ? v[0] : v;
  }
  return undefined;
}

function secretMatches(expected: string, got: string | undefined): boolean {
  if (!got) return false;
  const a = Buffer.from(got);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function decodeBody(body: Buffer | string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(body.toString()) };
  } catch {
    return { ok: false };
  }
}

export async function handleTelegramWebhook(deps: WebhookDeps, headers: WebhookHeaders, body: Buffer | string): Promise<WebhookResponse> {
  if (!secretMatches(deps.secret, headerValue(headers, SECRET_HEADER))) {
    deps.logger.warn("telegram webhook call without the right X-Telegram-Bot-Api-Secret-Token; ignored");
    return { status: 401, body: "wrong or missing X-Telegram-Bot-Api-Secret-Token header" };
  }
  const down = deps.unavailable();
  if (down) return { status: down.status, body: down.reason };
  const decoded = decodeBody(body);
  if (!decoded.ok) return { status: 400, body: "body is not JSON: expected one Telegram Update object" };
  const parsed = parseUpdate(decoded.value);
  if (!parsed.ok) return { status: 400, body: parsed.reason };
  try {
    await deps.process(parsed.update);
  } catch (err) {
    deps.logger.warn({ updateId: parsed.update.update_id, err: errorMessage(err) }, "could not store a Telegram webhook update; Telegram will deliver it again");
    return { status: 500, body: "could not store the update; deliver it again later" };
  }
  return { status: 200, body: "" };
}
