// What the model reads when a cron job fires. The job's message was written
// earlier (by the person or by the model through the cron tool), not typed
// now: a first line says so, with the job and when it fired, so the model
// carries it out as a scheduled task instead of answering it like a fresh
// question from the user ("remind me to stretch" must become the reminder,
// not "sure, I'll remind you"). The marked text is also what the session's
// history keeps, so later turns still tell the two apart.
import { describeSchedule } from "./schedule.ts";
import type { CronJob } from "./types.ts";

/** The start of every cron turn's text; anything after the first line is the job's message. */
export const SCHEDULED_TASK_MARK = "[Scheduled task";

export function scheduledTaskText(job: CronJob, firedAt: number): string {
  const message = job.payload.kind === "agent" ? job.payload.message : job.payload.command;
  const name = job.name ? `"${job.name.replace(/\s+/g, " ").trim()}" ` : "";
  return (
    `${SCHEDULED_TASK_MARK} ${name}(cron job ${job.id}, ${describeSchedule(job.schedule)}) fired at ${new Date(firedAt).toISOString()}. ` +
    "This was set up earlier, not typed by the user just now: do what it says and write the message they should receive.]\n" +
    message
  );
}
