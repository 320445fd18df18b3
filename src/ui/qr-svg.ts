// A QR code as an SVG image, for the control page to show while WhatsApp
// waits to be paired. The encoder is the one qrcode-terminal ships (already a
// dependency for the terminal rendering); this only draws its modules.
import { createRequire } from "node:module";

interface QrEncoder {
  addData(data: string): void;
  make(): void;
  getModuleCount(): number;
  isDark(row: number, col: number): boolean;
}

const require = createRequire(import.meta.url);

export function qrSvg(text: string, scale = 6, margin = 4): string {
  const QRCode = require("qrcode-terminal/vendor/QRCode") as new (type: number, level: number) => QrEncoder;
  const levels = require("qrcode-terminal/vendor/QRCode/QRErrorCorrectLevel") as { L: number };
  const qr = new QRCode(-1, levels.L);
  qr.addData(text);
  qr.make();
  const n = qr.getModuleCount();
  const size = (n + margin * 2) * scale;
  const cells: string[] = [];
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) if (qr.isDark(r, c)) cells.push(`M${(c + margin) * scale} ${(r + margin) * scale}h${scale}v${scale}h-${scale}z`);
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 ${size} ${size}" shape-rendering="crispEdges">` +
    `<rect width="100%" height="100%" fill="#fff"/><path fill="#000" d="${cells.join("")}"/></svg>`
  );
}
