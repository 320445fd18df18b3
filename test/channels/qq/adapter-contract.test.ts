import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createQqAdapter } from "../../../channels/qq/adapter.ts";
import { silentLogger } from "../../../src/core/logger.ts";
import { FakeQq } from "../../fakes/qq/server.ts";
import { adapterContract } from "../adapter-contract.ts";

adapterContract("qq", async () => {
  const fake = await FakeQq.start({ heartbeatIntervalMs: 5_000 });
  const stateDir = mkdtempSync(join(tmpdir(), "sb-qq-contract-"));
  const secret = fake.appSecret;
  const adapter = createQqAdapter(fake.config(), { logger: silentLogger(), stateDir, initialBackoffMs: 20, maxBackoffMs: 200, readyTimeoutMs: 5_000, random: () => 0.5 });
  return {
    adapter,
    chatId: "U1",
    secret,
    // QQ only lets bots reply: a user writes first
    prepareSend: async (received) => {
      fake.c2cMessage({ openid: "U1", text: "hi" });
      const end = Date.now() + 5_000;
      while (received.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    },
    rateLimitNextSend: () => {
      fake.failNextSend({ status: 429, code: 22009, message: "msg limit exceed", retryAfter: 3 });
      return 3000;
    },
    rejectCredentials: () => fake.rotateSecret(),
    close: async () => {
      await fake.close();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
});
