// A fired cron job reaches the model marked as a scheduled task, not as the
// user typing it: the real CronService hands its marked text to a real Agent
// (wired as the daemon wires it), and the model's request shows the mark, in
// the turn and in the history the next turn sends.
import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.ts";
import { CronService } from "../../src/scheduler/cron-service.ts";
import { SCHEDULED_TASK_MARK, scheduledTaskText } from "../../src/scheduler/cron-text.ts";
import { addCronJob } from "../../src/tools/cron-tool.ts";
import { setup } from "../agent/setup.ts";
import { MemoryCronStore } from "./memory-store.ts";

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 1, 9, 0);

describe("cron turns are marked as scheduled tasks", () => {
  it("the model sees the job's message under a scheduled-task line, and so does the next turn's history", async () => {
    const { agent, router, origin } = setup();
    const store = new MemoryCronStore();
    const clock = new ManualClock(T0);
    const sent: string[] = [];
    const cron = new CronService({
      store,
      clock,
      deliverTurn: async (job, signal, text) => (await agent.runTurn({ origin: { ...origin, ...job.origin }, text, signal })).text,
      send: async (_channel, _chatId, text) => void sent.push(text),
    });
    const job = await addCronJob(store, T0, { message: "Remind me to stretch", everySeconds: 3600, origin: { channel: origin.channel, chatId: origin.chatId, sessionKey: origin.sessionKey }, name: "stretch" });
    router.push("Time to stretch! 🧘", "You asked me at 10:00 to remind you.");
    clock.advance(60 * MIN);
    expect(await cron.tick()).toEqual([{ jobId: job.id, status: "ok" }]);
    expect(sent).toEqual(["Time to stretch! 🧘"]);

    const asked = router.messages(0).at(-1)!;
    expect(asked.role).toBe("user");
    const content = String(asked.content);
    expect(content.startsWith(SCHEDULED_TASK_MARK)).toBe(true);
    expect(content).toContain(`cron job ${job.id}`);
    expect(content).toContain("not typed by the user");
    expect(content.split("\n").at(-1)).toBe("Remind me to stretch");

    // the person asks about it afterwards: the history still says it was a scheduled task
    await agent.runTurn({ origin, text: "why did you say that?" });
    const history = router.messages(1).filter((m) => m.role === "user").map((m) => String(m.content));
    expect(history[0]).toBe(content);
    expect(history[1]).toBe("why did you say that?");
  });

  it("names the job, its schedule and the time it fired", () => {
    const text = scheduledTaskText(
      { id: "j1", name: "daily\nreport", schedule: { kind: "cron", expr: "0 9 * * *", tz: "Europe/Berlin" }, payload: { kind: "agent", message: "Summarize the news" }, origin: { channel: "telegram", chatId: "1" }, enabled: true, nextRunAt: null, createdAt: 0 },
      T0,
    );
    expect(text.split("\n")[0]).toBe(
      `[Scheduled task "daily report" (cron job j1, cron "0 9 * * *" (Europe/Berlin)) fired at 2026-01-01T09:00:00.000Z. This was set up earlier, not typed by the user just now: do what it says and write the message they should receive.]`,
    );
    expect(text.split("\n")[1]).toBe("Summarize the news");
  });
});
