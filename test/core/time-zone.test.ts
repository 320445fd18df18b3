import { afterEach, describe, expect, it } from "vitest";
import { systemTimeZone } from "../../src/core/time-zone.ts";

const original = process.env.TZ;
afterEach(() => {
  if (original === undefined) delete process.env.TZ;
  else process.env.TZ = original;
});

describe("the server's time zone", () => {
  it("is the zone TZ names, and follows TZ when the process changes it", () => {
    process.env.TZ = "Asia/Tokyo";
    expect(systemTimeZone()).toBe("Asia/Tokyo");
    expect(systemTimeZone()).toBe("Asia/Tokyo");
    process.env.TZ = "America/Sao_Paulo";
    expect(systemTimeZone()).toBe("America/Sao_Paulo");
    process.env.TZ = "UTC";
    expect(systemTimeZone()).toBe("UTC");
  });
});
