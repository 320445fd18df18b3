// channels.<id>.streaming: whether a reply appears in the chat while the
// model writes it ("edit": one message edited as the text grows) or once it
// is complete ("off"). Channels whose platform cannot edit a sent message
// (QQ, WhatsApp) accept only "off". PicoClaw writes the setting as an object
// ({ "enabled": true, ... }); that form is read as "edit" or "off" (its
// tuning keys are not used: the pace follows the platform's limits).
import { z } from "zod";

/** PicoClaw's { enabled } object → "edit" / "off"; anything else is left for the check */
function fromPicoClaw(value: unknown): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  const enabled = (value as { enabled?: unknown }).enabled;
  return enabled === false ? "off" : enabled === true || enabled === undefined ? "edit" : value;
}

export function streamingSetting(channel: string, platform: string, canEdit: boolean) {
  const check = canEdit
    ? z.enum(["edit", "off"], {
        error: `channels.${channel}.streaming must be "edit" (the reply appears as it is written, in one message edited as it grows) or "off" (sent when complete)`,
      })
    : z.literal("off", { error: `channels.${channel}.streaming: ${platform} cannot edit a sent message, so replies cannot stream; set it to "off" or remove the key` });
  return z.preprocess(fromPicoClaw, check.optional()).transform((v) => v ?? (canEdit ? "edit" : "off"));
}
