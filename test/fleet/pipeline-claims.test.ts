// The pipeline under a fleet's session claims (fleet-session.ts), with a
// scripted claim service: a session held elsewhere is not run here and is
// tried again once free; a turn whose claim passed to another gateway
// stores no reply (not even an error) and leaves its messages to that one.
import { describe, expect, it } from "vitest";
import type { InboundMessage } from "../../src/core/channel.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { AllowList } from "../../src/gateway/access.ts";
import type { SessionClaims, TurnClaim } from "../../src/gateway/fleet-hooks.ts";
import { Outbox } from "../../src/gateway/outbox.ts";
import { Pipeline, type GatewayTurnInput, type GatewayTurnResult } from "../../src/gateway/pipeline.ts";
import { openStore } from "../../src/store/index.ts";
import { sqliteBackend } from "../../src/store/sqlite-backend.ts";
import { MemoryAdapter, until, useCleanup } from "../gateway/pipeline-helpers.ts";

const cleanup = useCleanup();

/** claims as another gateway would contest them: `elsewhere` sessions are refused, `lose` ones pass on mid-turn */
function scriptedClaims() {
  const elsewhere = new Set<string>();
  const lose = new Set<string>();
  const log: string[] = [];
  const claims: SessionClaims = {
    async claim(sessionKey): Promise<TurnClaim | null> {
      if (elsewhere.has(sessionKey)) {
        log.push(`refused ${sessionKey}`);
        return null;
      }
      log.push(`claimed ${sessionKey}`);
      return {
        sessionKey,
        held: async () => !lose.has(sessionKey),
        release: async () => void log.push(`released ${sessionKey}`),
      };
    },
  };
  return { claims, elsewhere, lose, log };
}

function setup(runTurn: (i: GatewayTurnInput) => Promise<GatewayTurnResult>, claims: SessionClaims) {
  const store = openStore(":memory:");
  cleanup.stores.push(store);
  const backend = sqliteBackend(store);
  const adapter = new MemoryAdapter(1000);
  const outbox = new Outbox({ delivery: backend.delivery, adapter: () => adapter, logger: silentLogger(), quickRetries: 0 });
  cleanup.outboxes.push(outbox);
  const pipeline = new Pipeline({
    store: backend,
    outbox,
    adapter: () => adapter,
    policy: () => ({ allowFrom: new AllowList(["*"]) }),
    sessionKey: (m) => `test:dm:${m.senderId}`,
    runTurn,
    logger: silentLogger(),
    claims,
  });
  return { backend, adapter, pipeline };
}

const msg = (id: string, text: string): InboundMessage => ({ channel: "test", chatId: "c1", chatType: "direct", messageId: id, senderId: "u1", text });

/** answers through the transaction like the agent does */
async function answer(i: GatewayTurnInput): Promise<GatewayTurnResult> {
  const result = { text: `re: ${i.text}`, media: [] as [] };
  await i.onCommit?.(result, undefined);
  i.onCommitted?.(result);
  return result;
}

describe("the pipeline under session claims", () => {
  it("leaves a session claimed elsewhere, and answers it here once the claim is free", async () => {
    const c = scriptedClaims();
    c.elsewhere.add("test:dm:u1");
    const turns: string[] = [];
    const { adapter, pipeline } = setup(async (i) => (turns.push(i.text), answer(i)), c.claims);
    await pipeline.accept(msg("1", "hello"));
    await until(() => c.log.includes("refused test:dm:u1"), "the refused claim");
    expect(turns).toEqual([]);
    c.elsewhere.clear(); // the other gateway finished without seeing this message
    await until(() => adapter.sent.length === 1, "the answer after a retry", 5000);
    expect(adapter.sent[0]!.chunk.text).toBe("re: hello");
    expect(c.log.at(-1)).toBe("released test:dm:u1");
  });

  it("stores no reply once the claim passed on mid-turn, and leaves the message to the new holder", async () => {
    const c = scriptedClaims();
    const { backend, adapter, pipeline } = setup(async (i) => {
      c.lose.add("test:dm:u1"); // this gateway was paused past the member TTL during the model call
      return answer(i);
    }, c.claims);
    await pipeline.accept(msg("1", "hello"));
    await until(() => c.log.includes("released test:dm:u1"), "the turn to end");
    expect(adapter.sent).toEqual([]);
    expect(await backend.delivery.counts()).toMatchObject({ inboundPending: 1, outboundPending: 0, dead: 0 });
  });
});
