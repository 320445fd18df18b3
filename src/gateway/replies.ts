// Sentences the gateway itself says to people.
import { SwitchboardError } from "../core/errors.ts";
import { ProviderError } from "../providers/types.ts";

export function pairingMessage(channel: string, code: string): string {
  return [
    "Hi! I don't know you yet, so I can't answer.",
    `Your pairing code is ${code}.`,
    `Ask the owner of this bot to run: switchboard pairing approve ${channel} ${code}`,
  ].join("\n");
}

/** One sentence for a turn that could not be answered; never a stack or a secret. */
export function describeTurnFailure(err: unknown): string {
  if (err instanceof SwitchboardError && err.code === "all_candidates_failed") {
    return "Sorry, none of my models could answer just now (they are failing or rate-limited). Please try again in a minute.";
  }
  if (err instanceof ProviderError) {
    switch (err.reason) {
      case "context_overflow":
        return "Sorry, this conversation got too long for the model even after summarizing. Send /new to start a fresh session.";
      case "format":
        return "Sorry, the model rejected the request. If this keeps happening, send /new to start a fresh session.";
      case "aborted":
        return "Sorry, that turn was cancelled.";
      default:
        return "Sorry, the model could not answer just now. Please try again in a minute.";
    }
  }
  if (err instanceof SwitchboardError && (err.code === "not_found" || err.code === "usage")) {
    return `Sorry, I can't answer: ${err.message}`;
  }
  return "Sorry, something went wrong while answering. Please try again.";
}
