import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFeishuAdapter } from "../../../channels/feishu/adapter.ts";
import { silentLogger } from "../../../src/core/logger.ts";
import { FakeLark, p2pChatIdFor } from "../../fakes/lark/server.ts";
import { adapterContract } from "../adapter-contract.ts";

adapterContract("feishu", async () => {
  const lark = await FakeLark.start({});
  const stateDir = mkdtempSync(join(tmpdir(), "sb-feishu-contract-"));
  const secret = lark.appSecret;
  const adapter = createFeishuAdapter(lark.config(), { logger: silentLogger(), stateDir, initialBackoffMs: 20, maxBackoffMs: 200, random: () => 0.5, readyTimeoutMs: 5_000 });
  return {
    adapter,
    chatId: p2pChatIdFor("alice"),
    secret,
    rateLimitNextSend: () => {
      lark.failNextSend({ status: 429, code: 99991400, msg: "request trigger frequency limit", resetSeconds: 3 });
      return 3000;
    },
    rejectCredentials: () => lark.rotateSecret(),
    close: async () => {
      await lark.close();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
});
