// Feishu's event encryption and signature.
//
// With an Encrypt Key set in the console, webhook bodies arrive as
// {"encrypt": base64}: AES-256-CBC with key = SHA-256(encrypt_key), the
// first 16 bytes of the decoded payload being the IV, PKCS#7 padding. Each
// call carries X-Lark-Request-Timestamp, X-Lark-Request-Nonce and
// X-Lark-Signature = hex(SHA-256(timestamp + nonce + encrypt_key + body bytes)).
import { createDecipheriv, createHash, timingSafeEqual } from "node:crypto";

/** Decrypts an `encrypt` field; throws when the key or the payload is wrong. */
export function decryptEvent(encryptKey: string, encrypted: string): string {
  const key = createHash("sha256").update(encryptKey).digest();
  const raw = Buffer.from(encrypted, "base64");
  if (raw.length < 32 || raw.length % 16 !== 0) throw new Error("the encrypted payload has the wrong length for AES-256-CBC");
  const decipher = createDecipheriv("aes-256-cbc", key, raw.subarray(0, 16));
  return Buffer.concat([decipher.update(raw.subarray(16)), decipher.final()]).toString("utf8");
}

/** over the body's bytes as received: re-serialised JSON would not be what Feishu signed */
export function signature(timestamp: string, nonce: string, encryptKey: string, body: Buffer | string): string {
  return createHash("sha256").update(timestamp + nonce + encryptKey).update(body).digest("hex");
}

export function signatureMatches(expected: string, got: string | undefined): boolean {
  if (!got) return false;
  const a = Buffer.from(got.toLowerCase());
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function tokenMatches(expected: string, got: unknown): boolean {
  if (typeof got !== "string") return false;
  const a = Buffer.from(got);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
