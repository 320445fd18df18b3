// Draws WhatsApp's pairing QR code in the terminal (qrcode-terminal's small
// style: half blocks, two modules per character row), loaded only when a code
// has to be shown. WhatsApp's pairing text is about 265 characters, which
// needs a version-10 code (57 modules): 31 lines at two modules per line, so
// no character rendering fits 24 rows; when the terminal is shorter than the
// drawing, a hint says so instead of letting the top scroll away unnoticed.
import { createRequire } from "node:module";

interface QrTerminal {
  generate(text: string, opts: { small: boolean }, cb: (drawing: string) => void): void;
}

/** terminal rows the drawing needs (its lines plus the help line above it) */
export function rowsNeeded(drawing: string): number {
  return drawing.replace(/\n+$/, "").split("\n").length + 2;
}

export function renderQr(qr: string, terminalRows: number | undefined = process.stdout.rows): Promise<string> {
  // qrcode-terminal is CommonJS without type declarations
  const lib = createRequire(import.meta.url)("qrcode-terminal") as QrTerminal;
  return new Promise<string>((resolve) =>
    lib.generate(qr, { small: true }, (drawing) => {
      const needed = rowsNeeded(drawing);
      resolve(terminalRows && terminalRows < needed ? `${drawing}\n(the code needs ${needed} terminal rows and this one has ${terminalRows}: make the window taller or the font smaller if the top is cut off)\n` : drawing);
    }),
  );
}

export const SCAN_HELP = "Open WhatsApp on your phone → Settings → Linked devices → Link a device, and scan this code:";
