// The WAL flushes between checkpoints (src/store/wal-presync.ts): while turns
// run, the WAL is flushed off the main thread at most once per interval, so
// the checkpoint SQLite runs at its bound inside a message's commit has little
// left to write; a gateway nobody writes to flushes nothing.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TurnActivity } from "../../src/gateway/turn-slots.ts";
import { flushInThreadPool, WalPresync } from "../../src/store/wal-presync.ts";
import { useTempDb } from "./helpers.ts";

const t = useTempDb();

/** a presync whose flushes are recorded and finish when the test says */
function harness(everyMs = 100) {
  const work = new TurnActivity();
  let now = 0;
  const pending: (() => void)[] = [];
  const presync = new WalPresync("/state/switchboard.db-wal", { work, everyMs, now: () => now, flush: (_file, done) => pending.push(done) });
  return {
    work,
    presync,
    /** the flushes under way, each its completion */
    pending,
    at(ms: number) {
      now = ms;
    },
    finishFlush() {
      pending.shift()!();
    },
  };
}

describe("the WAL flushes between checkpoints", () => {
  it("flush nothing while no turn has run", () => {
    const h = harness();
    h.presync.poke();
    h.at(1000);
    h.presync.poke();
    expect(h.pending).toHaveLength(0);
  });

  it("flush once after turns wrote, one flush at a time, and stop once nothing new was written", () => {
    const h = harness();
    h.work.begin();
    h.work.end();
    h.at(500);
    h.presync.poke();
    expect(h.pending).toHaveLength(1);
    h.presync.poke(); // one already under way
    expect(h.pending).toHaveLength(1);
    h.at(700);
    h.finishFlush(); // pokes again: no turn since the flush began
    expect(h.pending).toHaveLength(0);
    h.at(5000);
    h.presync.poke();
    expect(h.pending).toHaveLength(0);
    h.presync.stop();
  });

  it("keep flushing while a turn runs, at most once per interval, and stop at stop()", async () => {
    const h = harness(20);
    h.work.begin(); // a turn that never ends: a never-quiet gateway
    h.at(0);
    h.presync.poke();
    expect(h.pending).toHaveLength(1);
    h.at(5);
    h.finishFlush(); // 5 ms after the last began: waits the other 15 on a timer
    expect(h.pending).toHaveLength(0);
    h.at(20);
    await new Promise((r) => setTimeout(r, 60));
    expect(h.pending).toHaveLength(1); // the timer's flush
    h.at(25);
    h.presync.stop();
    h.finishFlush();
    h.at(100);
    await new Promise((r) => setTimeout(r, 60));
    h.presync.poke();
    expect(h.pending).toHaveLength(0);
  });

  it("flushes a real file in the thread pool, and takes a missing one (no WAL yet) as nothing to do", async () => {
    const file = join(t.dir, "some.db-wal");
    writeFileSync(file, "frames");
    await new Promise<void>((done) => flushInThreadPool(file, done));
    await new Promise<void>((done) => flushInThreadPool(join(t.dir, "absent.db-wal"), done));
  });
});
