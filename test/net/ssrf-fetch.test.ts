// The guarded fetch over a real loopback server: the fake names below resolve
// through an injected resolver (no real DNS), "fake.test" is opted in with
// allowHosts, and every other route to the server must be refused.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GuardedFetchError, guardedFetch, type GuardedFetchOptions, type Resolver } from "../../src/net/guarded-fetch.ts";
import { SsrfRefusal } from "../../src/net/ssrf.ts";
import { startPagesServer, type PagesServer } from "../tools/web/pages-server.ts";

let server: PagesServer;
beforeAll(async () => {
  server = await startPagesServer();
});
afterAll(() => server.close());

const table: Record<string, string[]> = {
  "fake.test": ["127.0.0.1"],
  "evil.test": ["10.0.0.5"],
  "mixed.test": ["127.0.0.1", "10.0.0.5"],
  "rebind.test": ["127.0.0.1"],
};

function tableResolver(calls: string[] = []): Resolver {
  return async (host) => {
    calls.push(host);
    const answer = table[host];
    if (!answer) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
    return answer;
  };
}

const opts = (extra: GuardedFetchOptions = {}): GuardedFetchOptions => ({
  allowHosts: ["fake.test"],
  resolve: tableResolver(),
  ...extra,
});

async function fetchText(url: string, o: GuardedFetchOptions = opts()) {
  const res = await guardedFetch(url, o);
  try {
    return { status: res.response.status, text: await res.response.text(), url: res.url, redirects: res.redirects };
  } finally {
    await res.close();
  }
}

async function refusedWith(url: string, o: GuardedFetchOptions = opts()): Promise<SsrfRefusal> {
  const err = await guardedFetch(url, o).then(
    async (r) => {
      await r.close();
      return new Error(`${url} was fetched`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SsrfRefusal);
  return err as SsrfRefusal;
}

const fake = (path: string) => `http://fake.test:${server.port}${path}`;
const hitsTo = (path: string) => server.hits.filter((h) => h.startsWith(path)).length;

describe("guardedFetch: allowed targets", () => {
  it("fetches an allow-listed host through the injected resolver", async () => {
    const calls: string[] = [];
    const r = await fetchText(fake("/plain"), opts({ resolve: tableResolver(calls) }));
    expect(r.status).toBe(200);
    expect(r.text).toContain("Plain café text.");
    expect(calls).toEqual(["fake.test"]);
  });

  it("connects to the address that was checked, not to a later DNS answer (rebinding)", async () => {
    // the first answer is 127.0.0.1 (where the server listens); any later one would be 127.0.0.2,
    // where nothing listens, so a second lookup at connect time would make the request fail
    let n = 0;
    const rebinding: Resolver = async () => (n++ === 0 ? ["127.0.0.1"] : ["127.0.0.2"]);
    const r = await fetchText(`http://rebind.test:${server.port}/plain`, {
      allowHosts: ["rebind.test"],
      resolve: rebinding,
    });
    expect(r.text).toContain("Plain café text.");
    expect(n).toBe(1);
  });

  it("follows relative redirects, 301/302/303/307/308, and reports the final URL", async () => {
    for (const status of [301, 302, 303, 307, 308]) {
      const r = await fetchText(fake(`/redirect?status=${status}&to=/plain`));
      expect(r.status).toBe(200);
      expect(r.url).toBe(fake("/plain"));
      expect(r.redirects).toEqual([fake(`/redirect?status=${status}&to=/plain`)]);
    }
  });

  it("follows up to 3 redirects", async () => {
    const r = await fetchText(fake("/chain/3"));
    expect(r.text).toBe("end of chain");
    expect(r.redirects).toHaveLength(3);
  });

  it("does not follow a 3xx without a Location header, and hands back other statuses as they are", async () => {
    const r = await fetchText(fake("/status/304"));
    expect(r.status).toBe(304);
    const missing = await fetchText(fake("/status/404"));
    expect(missing.status).toBe(404);
  });
});

describe("guardedFetch: refusals", () => {
  it("refuses more than 3 redirects and stops asking", async () => {
    const from = server.hits.length;
    const err = await refusedWith(fake("/chain/4"));
    expect(err.message).toMatch(/^refused: more than 3 redirects/);
    // /chain/4 .. /chain/1 were asked; the fourth redirect, to /chain/0, was not followed
    expect(server.hits.slice(from)).toEqual(["/chain/4", "/chain/3", "/chain/2", "/chain/1"]);
  });

  it("honours a smaller maxRedirects", async () => {
    const err = await refusedWith(fake("/chain/1"), opts({ maxRedirects: 0 }));
    expect(err.message).toMatch(/more than 0 redirects/);
  });

  it.each([
    ["loopback literal", (p: number) => `http://127.0.0.1:${p}/secret`, "refused: 127.0.0.1 is a loopback address"],
    ["decimal loopback", (p: number) => `http://2130706433:${p}/secret`, "refused: 127.0.0.1 is a loopback address"],
    ["mapped IPv6 loopback", (p: number) => `http://[::ffff:127.0.0.1]:${p}/secret`, "refused: [::ffff:7f00:1] is a loopback address"],
    ["localhost", (p: number) => `http://localhost:${p}/secret`, "refused: localhost is a loopback address"],
    ["metadata address", () => "http://169.254.169.254/latest/meta-data/iam/", "refused: 169.254.169.254 is a cloud metadata address"],
    ["metadata name", () => "http://metadata.google.internal/computeMetadata/v1/", "refused: metadata.google.internal is a cloud metadata address"],
    ["name resolving to a private address", (p: number) => `http://evil.test:${p}/secret`, "refused: evil.test resolves to 10.0.0.5, a private address"],
    ["non-http scheme", () => "file:///etc/passwd", "refused: only http and https URLs can be fetched, not file:"],
  ])("refuses a redirect from an allowed host to a %s", async (_label, target, message) => {
    const before = hitsTo("/secret");
    const err = await refusedWith(fake(`/redirect?to=${encodeURIComponent(target(server.port))}`));
    expect(err.message).toBe(message);
    expect(hitsTo("/secret")).toBe(before); // the refused target was never contacted
  });

  it("refuses a host whose DNS answer is private, before connecting", async () => {
    const err = await refusedWith(`http://evil.test:${server.port}/secret`);
    expect(err.message).toBe("refused: evil.test resolves to 10.0.0.5, a private address");
    expect(err.category).toBe("private");
  });

  it("refuses a host with one bad address among its answers", async () => {
    const before = hitsTo("/secret");
    const err = await refusedWith(`http://mixed.test:${server.port}/secret`);
    expect(err.message).toMatch(/^refused: mixed.test resolves to 127.0.0.1, a loopback address/);
    expect(hitsTo("/secret")).toBe(before);
  });

  it("refuses the loopback server itself when it is not allow-listed", async () => {
    const before = hitsTo("/secret");
    await refusedWith(`http://127.0.0.1:${server.port}/secret`);
    await refusedWith(`http://fake.test:${server.port}/secret`, opts({ allowHosts: [] }));
    expect(hitsTo("/secret")).toBe(before);
  });

  it("refuses non-http schemes and unparsable URLs", async () => {
    expect((await refusedWith("ftp://fake.test/file")).category).toBe("scheme");
    expect((await refusedWith("not a url")).message).toBe('refused: "not a url" is not a valid URL');
  });

  it("reports a host that does not resolve", async () => {
    const err = await guardedFetch("http://nowhere.test/", opts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GuardedFetchError);
    expect((err as Error).message).toBe("could not resolve nowhere.test (ENOTFOUND)");
  });

  it("stops when the signal is aborted", async () => {
    const ac = new AbortController();
    const pending = guardedFetch(fake("/slow"), opts({ signal: ac.signal }));
    setTimeout(() => ac.abort(new Error("stop")), 50);
    await expect(pending).rejects.toThrow("stop");
  });
});
