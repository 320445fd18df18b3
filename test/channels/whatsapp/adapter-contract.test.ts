import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createWhatsAppAdapter } from "../../../channels/whatsapp/adapter.ts";
import { silentLogger } from "../../../src/core/logger.ts";
import { boom, FakeSocketFactory } from "../../fakes/whatsapp/socket.ts";
import { adapterContract } from "../adapter-contract.ts";

// native mode (the bridge has no credentials of its own to reject)
adapterContract("whatsapp", async () => {
  const stateDir = mkdtempSync(join(tmpdir(), "sb-wa-contract-"));
  const sockets = new FakeSocketFactory();
  const adapter = createWhatsAppAdapter(
    { enabled: true, use_native: true },
    {
      logger: silentLogger(),
      stateDir,
      socketFactory: sockets.make,
      downloadMedia: async () => Buffer.alloc(0),
      qrOut: { write: () => true },
      initialBackoffMs: 20,
      maxBackoffMs: 200,
      random: () => 0.5,
    },
  );
  return {
    adapter,
    chatId: "4915112345678@s.whatsapp.net",
    secret: "noise-key-private",
    goOnline: async () => {
      const sock = await sockets.waitForSocket(sockets.sockets.length || 1);
      // the phone had paired before; WhatsApp accepts the connection
      sock.open();
      await new Promise((r) => setImmediate(r));
    },
    rateLimitNextSend: () => {
      sockets.last.failNext = boom(429, "rate-overlimit");
      return 30_000;
    },
    rejectCredentials: () => {
      sockets.last.failNext = boom(401, "Unauthorized");
    },
    close: async () => rmSync(stateDir, { recursive: true, force: true }),
  };
});
