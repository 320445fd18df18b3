// The "typing…" indicator of a running turn. Shown only for turns slower
// than TYPING_AFTER_MS: a quick reply needs no indicator, and skipping it
// saves an HTTP call per message.
import type { ChannelAdapter } from "../core/channel.ts";

/** a turn shows "typing…" once it has run this long */
export const TYPING_AFTER_MS = 1000;
/** and again this often (platforms drop the indicator after about 5 s) */
const TYPING_EVERY_MS = 4000;

/** Starts the indicator for one turn; the returned function stops it. */
export function startTyping(
  adapterOf: (channel: string) => ChannelAdapter | undefined,
  afterMs: number,
  channel: string,
  chatId: string,
  threadId?: string,
): () => void {
  const adapter = adapterOf(channel);
  if (!adapter?.typing || !adapter.capabilities.typing) return () => undefined;
  const tick = () => void adapter.typing!(chatId, threadId).catch(() => undefined);
  let repeat: NodeJS.Timeout | undefined;
  const first = setTimeout(() => {
    tick();
    repeat = setInterval(tick, TYPING_EVERY_MS);
    repeat.unref();
  }, afterMs);
  first.unref();
  return () => {
    clearTimeout(first);
    clearInterval(repeat);
  };
}
