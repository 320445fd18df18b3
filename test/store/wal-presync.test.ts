// The WAL flushes between checkpoints (src/store/wal-presync.ts): while turns
// keep coming, the WAL is flushed off the main thread every so often, so the
// checkpoint SQLite runs at its bound inside a message's commit has little
// left to write; a gateway that answers and falls quiet flushes nothing (its
// quiet checkpoint syncs the WAL anyway).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TurnActivity } from "../../src/gateway/turn-slots.ts";
import { flushInThreadPool, WalPresync } from "../../src/store/wal-presync.ts";
import { useTempDb } from "./helpers.ts";

const t = useTempDb();
const EVERY_MS = 10;
const pause = (ms = 10 * EVERY_MS) => new Promise((r) => setTimeout(r, ms));

/** a presync whose flushes are kept waiting until the test finishes them */
function harness() {
  const work = new TurnActivity();
  const pending: (() => void)[] = [];
  const presync = new WalPresync("/state/switchboard.db-wal", { work, everyMs: EVERY_MS, flush: (_file, done) => pending.push(done) });
  return { work, presync, pending, finishFlush: () => pending.shift()!() };
}

describe("the WAL flushes between checkpoints", () => {
  it("flush nothing while no turn runs or starts", async () => {
    const h = harness();
    h.presync.poke();
    await pause();
    h.presync.poke();
    await pause();
    expect(h.pending).toHaveLength(0);
  });

  it("flush nothing after a lone turn that ended before the poke (the quiet checkpoint syncs the WAL)", async () => {
    const h = harness();
    h.work.begin();
    h.work.end();
    h.presync.poke();
    await pause();
    expect(h.pending).toHaveLength(0);
  });

  it("flush while turns keep coming, one flush at a time, and stop once they stop", async () => {
    const h = harness();
    h.presync.poke();
    h.work.begin(); // the next message's turn, right after the poke
    await pause();
    expect(h.pending).toHaveLength(1);
    h.presync.poke(); // a flush is under way: no second one
    await pause();
    expect(h.pending).toHaveLength(1);
    h.finishFlush(); // the turn still runs: the next flush follows
    await pause();
    expect(h.pending).toHaveLength(1);
    h.work.end();
    h.finishFlush();
    await pause();
    expect(h.pending).toHaveLength(0); // no turn since: the chain ends
    h.presync.stop();
  });

  it("flush nothing once stopped", async () => {
    const h = harness();
    h.work.begin();
    h.presync.poke();
    h.presync.stop();
    await pause();
    h.presync.poke();
    await pause();
    expect(h.pending).toHaveLength(0);
  });

  it("flushes a real file in the thread pool, and takes a missing one (no WAL yet) as nothing to do", async () => {
    const file = join(t.dir, "some.db-wal");
    writeFileSync(file, "frames");
    await new Promise<void>((done) => flushInThreadPool(file, done));
    await new Promise<void>((done) => flushInThreadPool(join(t.dir, "absent.db-wal"), done));
  });
});
