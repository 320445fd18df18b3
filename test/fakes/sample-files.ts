// Small files with real signatures, for tests of files the agent sends: a
// PDF, an MP3 (ID3 tag), an Ogg Opus voice file, a WAV and a SILK voice
// note, and the outbound chunk a reply carries them in.
import type { OutboundChunk } from "../../src/core/channel.ts";
import { makePdf } from "./pdf.ts";

export const PDF = makePdf([["Quarterly report", "Revenue: 1,250 EUR"]]);
export const MP3 = Buffer.concat([Buffer.from("ID3\x04\x00\x00\x00\x00\x00\x00", "latin1"), Buffer.from([0xff, 0xfb, 0x90, 0x64]), Buffer.alloc(64, 7)]);
/** two Ogg pages: OpusHead (pre-skip 312), then audio ending at granule 48,312 (one second at 48 kHz) */
export const OPUS = (() => {
  const page = (granule: number, body: Buffer) => {
    const h = Buffer.alloc(27);
    h.write("OggS", 0, "latin1");
    h.writeBigInt64LE(BigInt(granule), 6);
    h[26] = 1;
    return Buffer.concat([h, Buffer.from([body.length]), body]);
  };
  const head = Buffer.concat([Buffer.from("OpusHead\x01\x01", "latin1"), Buffer.from([0x38, 0x01]), Buffer.alloc(7, 0)]);
  return Buffer.concat([page(0, head), page(48_312, Buffer.alloc(40, 3))]);
})();
export const WAV = Buffer.concat([Buffer.from("RIFF\x24\x00\x00\x00WAVEfmt ", "latin1"), Buffer.alloc(40, 1)]);
export const SILK = Buffer.concat([Buffer.from("\x02#!SILK_V3", "latin1"), Buffer.alloc(40, 5)]);

/** the chunk a reply carries a file in (as the pipeline builds it from send_file's output) */
export function fileChunk(kind: "file" | "audio" | "image", mimeType: string, data: Buffer, filename: string, text = ""): OutboundChunk {
  return { text, format: text ? "markdown" : "plain", media: { kind, mimeType, data: data.toString("base64"), filename } };
}
