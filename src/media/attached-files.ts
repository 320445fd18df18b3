// Files people attach (not images or voice, which the model gets as media):
// each is read into text the model can use, or, when it cannot be read,
// replaced by a one-line note saying why, so the model answers the person
// instead of the file going unmentioned. Used by the pipeline when a message
// arrives, before it is stored, so a restart never downloads twice.
import type { InboundMessage } from "../core/channel.ts";
import type { Logger } from "../core/logger.ts";
import { DEFAULT_DOCUMENT_LIMITS, documentBlock, readDocument } from "./documents.ts";
import { errorMessage } from "../core/errors.ts";

/** text blocks for the message's attached files, in the order they came */
export async function attachedFileTexts(msg: InboundMessage, logger: Logger, maxBytes = DEFAULT_DOCUMENT_LIMITS.maxBytes): Promise<string[]> {
  const out: string[] = [];
  for (const m of msg.media ?? []) {
    if (m.kind !== "file") continue;
    const name = m.filename ?? "a file";
    const note = (why: string) => `[the person attached ${name}, which could not be read: ${why} Tell them so in one sentence.]`;
    if (m.size !== undefined && m.size > maxBytes) {
      out.push(note(`it is larger than ${Math.round(maxBytes / 1024 / 1024)} MB.`));
      continue;
    }
    try {
      const data = m.data ?? (m.fetch ? await m.fetch() : undefined);
      if (!data) {
        out.push(note("the platform did not hand over its contents."));
        continue;
      }
      const reading = await readDocument(data, { ...(m.mimeType ? { mimeType: m.mimeType } : {}), ...(m.filename ? { filename: m.filename } : {}) }, { ...DEFAULT_DOCUMENT_LIMITS, maxBytes });
      out.push(reading.ok ? documentBlock(m.filename, reading) : note(reading.reason));
    } catch (err) {
      logger.warn({ channel: msg.channel, file: name, err: errorMessage(err) }, "could not download an attached file");
      out.push(note("downloading it failed."));
    }
  }
  return out;
}
