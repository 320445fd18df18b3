// The short crash suite (`npm run chaos` is the long one): on every channel
// with its fake, the real daemon is killed with SIGKILL at random moments
// while people write (some of them while it is down), and every message must
// be answered exactly once: nothing lost, nothing answered by two turns. A
// reply chunk the platform accepted just before a kill may arrive twice (the
// send window, channel READMEs); that is counted, not failed. WhatsApp runs
// against a bridge that acknowledges (bridge-protocol.ts); one that does not
// cannot give back what it pushed just before a crash (README).
import { describe, expect, it } from "vitest";
import { CHAOS_CHANNELS, formatFigures, runChaos } from "./harness.ts";

describe("kill -9 at random moments", () => {
  for (const channel of CHAOS_CHANNELS) {
    it(`${channel}: every message answered once`, async () => {
      const trace: string[] = [];
      const f = await runChaos({ channel, kills: 2, perRound: 2, maxKillDelayMs: 600, maxModelDelayMs: 300, trace: (l) => trace.push(l) });
      console.log(formatFigures(f));
      // on a failure, the model calls and replies say which turn lost or repeated what
      const why = f.lostIds.length || f.twiceIds.length ? `\n${trace.join("\n")}` : "";
      expect(f.lostIds, `lost${why}`).toEqual([]);
      expect(f.twiceIds, `answered twice${why}`).toEqual([]);
      expect(f.once).toBe(f.messages);
    }, 240_000);
  }
});
