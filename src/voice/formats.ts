// Which audio a transcriber accepts: Ogg (Opus/Vorbis), MP3, M4A (MP4 audio)
// and WAV, recognized by their magic bytes, with the mime type as a hint.

export type AudioFormat = "ogg" | "mp3" | "m4a" | "wav";

export const AUDIO_FORMATS: Record<AudioFormat, { mimeType: string; extension: string }> = {
  ogg: { mimeType: "audio/ogg", extension: "ogg" },
  mp3: { mimeType: "audio/mpeg", extension: "mp3" },
  m4a: { mimeType: "audio/mp4", extension: "m4a" },
  wav: { mimeType: "audio/wav", extension: "wav" },
};

const MIME_FORMATS: Record<string, AudioFormat> = {
  "audio/ogg": "ogg",
  "audio/opus": "ogg",
  "audio/x-opus+ogg": "ogg",
  "application/ogg": "ogg",
  "audio/mpeg": "mp3",
  "audio/mp3": "mp3",
  "audio/mpeg3": "mp3",
  "audio/x-mpeg-3": "mp3",
  "audio/mp4": "m4a",
  "audio/m4a": "m4a",
  "audio/x-m4a": "m4a",
  "audio/aac": "m4a",
  "video/mp4": "m4a",
  "audio/wav": "wav",
  "audio/wave": "wav",
  "audio/x-wav": "wav",
  "audio/vnd.wave": "wav",
};

/** The format a mime type names ("audio/ogg; codecs=opus" → "ogg"), if it is one we take. */
export function formatFromMime(mimeType: string | undefined): AudioFormat | undefined {
  if (!mimeType) return undefined;
  const base = mimeType.split(";")[0]?.trim().toLowerCase() ?? "";
  return MIME_FORMATS[base];
}

const ascii = (data: Buffer, at: number, text: string): boolean =>
  data.length >= at + text.length && data.toString("latin1", at, at + text.length) === text;

/** The format the bytes are, from their header; undefined when none of ours. */
export function sniffAudioFormat(data: Buffer): AudioFormat | undefined {
  if (ascii(data, 0, "OggS")) return "ogg";
  if (ascii(data, 0, "RIFF") && ascii(data, 8, "WAVE")) return "wav";
  if (ascii(data, 4, "ftyp")) return "m4a";
  if (ascii(data, 0, "ID3")) return "mp3";
  // An MPEG audio frame header: 11 sync bits, layer bits not "reserved".
  const b0 = data[0];
  const b1 = data[1];
  if (b0 === 0xff && b1 !== undefined && (b1 & 0xe0) === 0xe0 && (b1 & 0x06) !== 0) return "mp3";
  return undefined;
}

/**
 * Why an input is refused, as a sentence, or undefined when it is audio we
 * take. The bytes decide; the mime type names what was sent when they do not
 * match any supported format.
 */
export function audioRefusal(data: Buffer, mimeType: string | undefined): string | undefined {
  if (sniffAudioFormat(data)) return undefined;
  const claimed = formatFromMime(mimeType);
  const supported = "Ogg/Opus, MP3, M4A or WAV";
  if (claimed) return `That file says it is ${claimed.toUpperCase()} audio but its contents are not; send ${supported} audio.`;
  const what = mimeType ? `${mimeType.split(";")[0]?.trim()} files` : "that kind of file";
  return `I can't transcribe ${what}; send ${supported} audio.`;
}

/** A file name with the extension providers use to tell the format apart. */
export function uploadFilename(format: AudioFormat, filename: string | undefined): string {
  const ext = AUDIO_FORMATS[format].extension;
  const last = (filename ?? "").split(/[\\/]/).pop() ?? "";
  const base = last.replace(/\.[a-z0-9]{1,5}$/i, "").replace(/["\r\n]/g, "_") || "voice";
  const fromOpus = format === "ogg" && /\.opus$/i.test(filename ?? "");
  return fromOpus ? `${base}.opus` : `${base}.${ext}`;
}
