// The budget: the request for "hi" with every default on (default
// workspace and tools, memory and skills included) stays within 1,500
// estimated tokens. The same measurement `npm run bench` prints.
import { expect, it } from "vitest";
import { measureHi } from "../../bench/request-size.ts";

it('the default request for "hi" stays within 1,500 tokens', async () => {
  const m = await measureHi();
  expect(m.tools).toEqual(expect.arrayContaining(["memory_write", "memory_search", "skill_read"]));
  expect(m.tools).not.toContain("exec");
  expect(m.tokens).toBeLessThanOrEqual(1_500);
});
