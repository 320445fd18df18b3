// The one approval path (control page and CLI): approving a code queues the
// notice to the chat the code went to, in the outbox every process shares.
import { describe, expect, it } from "vitest";
import { APPROVED_NOTICE, approvePairing } from "../../src/gateway/pairing-reply.ts";
import { openStore } from "../../src/store/index.ts";
import { sqliteBackend } from "../../src/store/sqlite-backend.ts";

describe("approvePairing", () => {
  it("lets the sender in and queues the notice to their chat; a used or unknown code does nothing", async () => {
    const store = openStore(":memory:");
    try {
      const now = Date.UTC(2026, 0, 1);
      const req = store.pairing.requestCode({ channel: "telegram", senderId: "77", chatId: "chat-77", label: "@newbie" }, now, 3_600_000);
      const ok = await approvePairing(sqliteBackend(store), "telegram", req.code.toLowerCase(), now + 1000);
      expect(ok).toMatchObject({ channel: "telegram", senderId: "77", chatId: "chat-77", label: "@newbie" });
      expect(store.pairing.isApproved("telegram", "77")).toBe(true);
      const queued = store.delivery.pendingOutbound(now + 2000, "telegram");
      expect(queued.map((r) => [r.chatId, (r.chunk as { text: string }).text])).toEqual([["chat-77", APPROVED_NOTICE]]);
      expect(await approvePairing(sqliteBackend(store), "telegram", req.code, now + 3000)).toBeUndefined();
      expect(await approvePairing(sqliteBackend(store), "telegram", "NOPE1234", now + 3000)).toBeUndefined();
      expect(store.delivery.pendingOutbound(now + 4000, "telegram")).toHaveLength(1);
    } finally {
      store.close();
    }
  });
});
