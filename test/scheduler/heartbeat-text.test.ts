import { describe, expect, it } from "vitest";
import { extractHeartbeatTasks, HEARTBEAT_TEMPLATE, heartbeatPrompt, isHeartbeatOk } from "../../src/scheduler/heartbeat-text.ts";

describe("extractHeartbeatTasks", () => {
  it("finds nothing in the template", () => {
    expect(extractHeartbeatTasks(HEARTBEAT_TEMPLATE)).toEqual([]);
  });

  it("ignores headings, comments, blank lines, empty list items and rules", () => {
    const md = [
      "# Heartbeat",
      "",
      "<!-- a comment",
      "- Check the build (inside the comment, so not a task)",
      "-->",
      "## Tasks",
      "-",
      "- [ ]",
      "* ",
      "---",
      "   ",
      "<!-- single line -->",
    ].join("\n");
    expect(extractHeartbeatTasks(md)).toEqual([]);
  });

  it("returns the task lines", () => {
    const md = `${HEARTBEAT_TEMPLATE}\n- Check https://status.example.com\n- [ ] Remind me about the dentist on Fridays\n`;
    expect(extractHeartbeatTasks(md)).toEqual(["- Check https://status.example.com", "- [ ] Remind me about the dentist on Fridays"]);
  });

  it("counts plain prose as a task", () => {
    expect(extractHeartbeatTasks("# H\nLook at the weather in Oslo\n")).toEqual(["Look at the weather in Oslo"]);
  });

  it("treats an unterminated comment as running to the end", () => {
    expect(extractHeartbeatTasks("# H\n<!-- started\n- not a task")).toEqual([]);
  });
});

describe("isHeartbeatOk", () => {
  it.each([
    "HEARTBEAT_OK",
    "heartbeat_ok",
    "  HEARTBEAT_OK.  ",
    "**HEARTBEAT_OK**",
    "`HEARTBEAT_OK`",
    "HEARTBEAT\\_OK",
    "HEARTBEAT_OK 👍",
    "All quiet. HEARTBEAT_OK",
    "HEARTBEAT_OK - nothing to report",
  ])("%j means nothing to report", (reply) => {
    expect(isHeartbeatOk(reply)).toBe(true);
  });

  it.each([
    "The build is red: 3 tests fail in the payments service.",
    "HEARTBEAT_OK, but the staging server certificate expires tomorrow, renew it",
    "heartbeat ok",
    "",
  ])("%j is a message for the user", (reply) => {
    expect(isHeartbeatOk(reply)).toBe(false);
  });
});

it("puts the tasks and the HEARTBEAT_OK rule in the prompt", () => {
  const p = heartbeatPrompt(["- Check the build"], "2026-01-01T00:00:00.000Z");
  expect(p).toContain("- Check the build");
  expect(p).toContain("HEARTBEAT_OK");
});
