// The Telegram adapter under the gateway's real supervisor: a token revoked
// while polling takes the channel offline with the reason, instead of
// polling with a dead token forever.
import { afterEach, describe, expect, it } from "vitest";
import { createTelegramAdapter } from "../../../channels/telegram/adapter.ts";
import { silentLogger } from "../../../src/core/logger.ts";
import { ChannelSupervisor } from "../../../src/gateway/supervisor.ts";
import { FakeTelegramApi } from "../../fakes/telegram-api.ts";
import { until } from "./harness.ts";

let tg: FakeTelegramApi | undefined;
let sup: ChannelSupervisor | undefined;
afterEach(async () => {
  await sup?.stop();
  await tg?.close();
  sup = undefined;
  tg = undefined;
});

describe("telegram under the supervisor", () => {
  it("goes offline for good when the token is revoked while polling, and a restart brings it back", async () => {
    tg = await FakeTelegramApi.start();
    const adapter = createTelegramAdapter({ token: tg.token, api_base: tg.url }, { logger: silentLogger(), pollTimeoutSeconds: 1, initialBackoffMs: 10, maxBackoffMs: 50 });
    sup = new ChannelSupervisor({ adapter, emit: async () => undefined, logger: silentLogger(), initialBackoffMs: 10, maxBackoffMs: 40, watchdogEveryMs: 20, random: () => 0.5 });
    sup.start();
    await until(() => (sup!.status().state === "online" ? true : undefined), 3000, "online");
    tg.failNext("getUpdates", { error_code: 401, description: "Unauthorized" });
    await until(() => (sup!.status().state === "offline" ? true : undefined), 5000, "offline");
    expect(sup.status()).toMatchObject({ lastErrorCode: "auth" });
    expect(sup.status().detail).toMatch(/check channels\.telegram\.token.*not retried/);
    // parked: the adapter was stopped (no poll loop is left running); a reload with a fixed token restarts it
    await sup.restart("config reloaded");
    await until(() => (sup!.status().state === "online" ? true : undefined), 3000, "online again");
  });
});
