// A stranger's message on a channel whose allow_from is empty: they get a
// pairing code, once per code lifetime. Writing again while the code is open
// (or a platform redelivering the message, or a restart) sends nothing new:
// the reply is queued under the code itself, and the outbox refuses a second
// reply with the same id. The code is a credential until the owner approves
// it, so it is logged at debug only.
import type { InboundMessage } from "../core/channel.ts";
import type { Logger } from "../core/logger.ts";
import { storeFault } from "../store/health.ts";
import { normalizePairingCode } from "../store/pairing.ts";
import type { AsyncDeliveryStore, AsyncPairingStore } from "../store/backend.ts";
import type { ApprovedSender } from "../store/types.ts";
import { pairingMessage } from "./replies.ts";

export interface PairingReplyDeps {
  pairing: AsyncPairingStore;
  delivery: AsyncDeliveryStore;
  logger: Logger;
  now: number;
  ttlMs: number;
  maxPending?: number;
}

/** true when a reply was queued (the caller kicks the outbox); throws storage faults */
export async function queuePairingReply(msg: InboundMessage, deps: PairingReplyDeps): Promise<boolean> {
  const label = msg.senderUsername ? `@${msg.senderUsername}` : msg.senderName;
  const req = await deps.pairing.requestCode(
    { channel: msg.channel, senderId: msg.senderId, chatId: msg.chatId, ...(label ? { label } : {}) },
    deps.now,
    deps.ttlMs,
    deps.maxPending,
  );
  const who = { channel: msg.channel, sender: msg.senderId };
  deps.logger.debug({ ...who, code: req.code }, "pairing code");
  try {
    await deps.delivery.enqueueReply({
      channel: msg.channel,
      chatId: req.chatId,
      replyId: `pairing-${msg.channel}-${req.code}`,
      chunks: [{ text: pairingMessage(msg.channel, req.code), format: "plain" }],
      answers: [],
      now: deps.now,
    });
  } catch (err) {
    if (storeFault(err)) throw err;
    deps.logger.info(who, "unknown sender wrote again; their pairing code was already sent");
    return false;
  }
  deps.logger.info(who, "pairing code issued to an unknown sender");
  return true;
}

/** told to a person whose pairing was approved */
export const APPROVED_NOTICE = "You're approved: you can chat with me now.";

/**
 * Approves a pairing code and queues APPROVED_NOTICE to the chat the code was
 * sent to. The one path for the control page and `switchboard pairing
 * approve`: the CLI runs beside the gateway on the same database, and the
 * gateway's outbox finds the queued notice on its next look (or at its next
 * start). Undefined for an unknown or expired code.
 */
export async function approvePairing(
  store: { pairing: AsyncPairingStore; delivery: AsyncDeliveryStore },
  channel: string,
  code: string,
  now: number,
): Promise<(ApprovedSender & { chatId?: string }) | undefined> {
  const wanted = normalizePairingCode(code);
  const request = (await store.pairing.listRequests(now, channel)).find((r) => r.code === wanted);
  const approved = await store.pairing.approve(channel, code, now);
  if (!approved) return undefined;
  if (!request) return approved;
  await store.delivery.enqueueReply({
    channel,
    chatId: request.chatId,
    // one notice per approved code, however often this runs
    replyId: `pairing-approved-${channel}-${request.code}`,
    chunks: [{ text: APPROVED_NOTICE, format: "plain" }],
    answers: [],
    now,
  });
  return { ...approved, chatId: request.chatId };
}
