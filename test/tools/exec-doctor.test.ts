// What doctor says about exec: a warning for the explicit unsandboxed
// opt-out, ok when bubblewrap works, nothing when exec is off.
import { describe, expect, it } from "vitest";
import { configSchema } from "../../src/config/schema.ts";
import { sandboxChecks } from "../../src/sandbox/doctor.ts";

describe("doctor's exec checks", () => {
  it("warns about sandbox \"none\"", async () => {
    const checks = await sandboxChecks(configSchema.parse({ tools: { exec: { enabled: true, sandbox: "none" } } }));
    expect(checks).toEqual([expect.objectContaining({ level: "warn", what: expect.stringMatching(/WITHOUT a sandbox/) })]);
  });

  it("is ok with a working bubblewrap and silent when exec is off", async () => {
    expect(await sandboxChecks(configSchema.parse({ tools: { exec: { enabled: true } } }))).toEqual([{ id: "exec", level: "ok", what: "tools.exec sandboxed by bubblewrap (no network)" }]);
    expect(await sandboxChecks(configSchema.parse({}))).toEqual([]);
  });
});
