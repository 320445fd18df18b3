// channels.<id>.streaming: whether a reply appears in the chat while the
// model writes it ("edit": one message edited as the text grows) or once it
// is complete ("off"). Channels whose platform cannot edit a sent message
// (QQ, WhatsApp) accept only "off".
import { z } from "zod";

export function streamingSetting(channel: string, platform: string, canEdit: boolean) {
  if (!canEdit) {
    return z
      .literal("off", { error: `channels.${channel}.streaming: ${platform} cannot edit a sent message, so replies cannot stream; set it to "off" or remove the key` })
      .default("off");
  }
  return z
    .enum(["edit", "off"], { error: `channels.${channel}.streaming must be "edit" (the reply appears as it is written, in one message edited as it grows) or "off" (sent when complete)` })
    .default("edit");
}
