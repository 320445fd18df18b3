// The pipeline's side of session claims in a fleet (fleet-hooks.ts): a
// session's turns run here only while this gateway holds its claim, and a
// reply is stored only while the claim still holds (checked inside the
// reply's transaction). When another gateway holds the claim, this one tries
// again a few times with a growing delay: the messages it just stored may
// have arrived after the other gateway read the session's inbox, and the
// other gateway does not look again. Beyond that the fleet's scan of
// sessions waiting without a claim (fleet-gateway.ts) takes them up.
import type { Logger } from "../core/logger.ts";
import type { SessionClaims, TurnClaim } from "./fleet-hooks.ts";
import { errorMessage } from "../core/errors.ts";

export type { SessionClaims } from "./fleet-hooks.ts";

/** retries after a claim another gateway holds: 250 ms, doubling, five times (~8 s in all) */
const RETRY_FIRST_MS = 250;
const RETRIES = 5;

/** Thrown from inside a reply's transaction when the session's claim passed to another gateway: nothing is stored. */
export class ClaimLostError extends Error {
  constructor(sessionKey: string) {
    super(`session ${sessionKey} is run by another gateway now; this turn's reply is not stored`);
    this.name = "ClaimLostError";
  }
}

export function isClaimLost(err: unknown): boolean {
  return err instanceof ClaimLostError;
}

export class ClaimedRuns {
  private readonly claims: SessionClaims;
  private readonly schedule: (sessionKey: string) => void;
  private readonly log: Logger;
  private readonly held = new Map<string, TurnClaim>();
  private readonly retries = new Map<string, number>();

  constructor(claims: SessionClaims, schedule: (sessionKey: string) => void, logger: Logger) {
    this.claims = claims;
    this.schedule = schedule;
    this.log = logger;
  }

  /** Runs `fn` (the session's pending turns) while holding the session's claim; never rejects. */
  async run(sessionKey: string, fn: () => Promise<void>): Promise<void> {
    let claim: TurnClaim | null;
    try {
      claim = await this.claims.claim(sessionKey);
    } catch (err) {
      this.log.warn({ session: sessionKey, err: errorMessage(err) }, "fleet: could not claim the session; trying again later");
      return this.later(sessionKey);
    }
    if (!claim) return this.later(sessionKey);
    this.retries.delete(sessionKey);
    this.held.set(sessionKey, claim);
    try {
      await fn();
    } finally {
      this.held.delete(sessionKey);
      await claim.release();
    }
  }

  /** Throws ClaimLostError when the session runs here and its claim no longer holds: call inside the reply's transaction. */
  async check(sessionKey: string): Promise<void> {
    const claim = this.held.get(sessionKey);
    if (claim && !(await claim.held())) throw new ClaimLostError(sessionKey);
  }

  private later(sessionKey: string): void {
    const n = this.retries.get(sessionKey) ?? 0;
    if (n >= RETRIES) {
      this.retries.delete(sessionKey); // the fleet's scan takes it from here
      return;
    }
    this.retries.set(sessionKey, n + 1);
    setTimeout(() => this.schedule(sessionKey), RETRY_FIRST_MS * 2 ** n).unref();
  }
}
