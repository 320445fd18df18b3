// combineSignals: the router's one signal from the request's and the route's.
import { describe, expect, it } from "vitest";
import { combineSignals } from "../../../src/providers/router/abort.ts";

describe("combineSignals", () => {
  it("hands back a signal given twice as itself, and none for none", () => {
    const turn = new AbortController().signal;
    expect(combineSignals(turn, turn)).toBe(turn);
    expect(combineSignals(undefined, turn, undefined)).toBe(turn);
    expect(combineSignals(undefined, undefined)).toBeUndefined();
  });

  it("aborts when any of different signals aborts, with that signal's reason", () => {
    const a = new AbortController();
    const b = new AbortController();
    const both = combineSignals(a.signal, b.signal, a.signal)!;
    expect(both).not.toBe(a.signal);
    expect(both.aborted).toBe(false);
    b.abort(new Error("the route was cancelled"));
    expect(both.aborted).toBe(true);
    expect((both.reason as Error).message).toBe("the route was cancelled");
  });
});
