// Draws WhatsApp's pairing QR code in the terminal (qrcode-terminal, small
// half-block style), loaded only when a code has to be shown.
import { createRequire } from "node:module";

interface QrTerminal {
  generate(text: string, opts: { small: boolean }, cb: (drawing: string) => void): void;
}

export function renderQr(qr: string): Promise<string> {
  // qrcode-terminal is CommonJS without type declarations
  const lib = createRequire(import.meta.url)("qrcode-terminal") as QrTerminal;
  return new Promise<string>((resolve) => lib.generate(qr, { small: true }, resolve));
}

export const SCAN_HELP = "Open WhatsApp on your phone → Settings → Linked devices → Link a device, and scan this code:";
