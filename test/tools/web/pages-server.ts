// A local web server for web_fetch and SSRF tests: pages of each content type,
// redirects, oversized and endless bodies, and a record of every path served.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface PagesServer {
  /** http://127.0.0.1:<port> */
  url: string;
  port: number;
  /** request paths (with query) in arrival order */
  hits: string[];
  /** how many /endless responses the client hung up on */
  endlessAborted(): number;
  close(): Promise<void>;
}

export const ARTICLE_HTML = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Tide tables explained</title>
  <style>body { font-family: serif } .secret-style { color: red }</style>
  <script>window.trackingSecret = "SCRIPT-MARKER-123";</script>
</head>
<body>
  <nav class="menu"><a href="/">Home</a> | <a href="/about">About</a> | <a href="/shop">Shop</a></nav>
  <main>
    <article>
      <h1>Tide tables explained</h1>
      <p>Tides are the rise and fall of sea levels caused by the combined effects of the gravitational forces
      exerted by the Moon and the Sun, and the rotation of the Earth. A tide table lists the times and heights
      of high and low water for a given place, day by day, so that sailors, anglers and walkers can plan.</p>
      <p>Most coasts see two high tides and two low tides every lunar day, which lasts about twenty-four hours and
      fifty minutes. Spring tides, with the largest range, follow the new and full moon; neap tides, with the
      smallest range, follow the quarter moons. Local geography can change the pattern a great deal.</p>
      <script>document.write("INLINE-SCRIPT-MARKER")</script>
      <ul><li>High water: 06:12, 4.8 m</li><li>Low water: 12:25, 0.9 m</li></ul>
      <p>Always check the table for the nearest port, and remember that weather can push the water higher or
      lower than predicted, especially during storms and strong onshore winds, so leave a margin of safety.</p>
    </article>
  </main>
  <footer class="footer">Copyright 2026 Harbour Office. Cookie settings.</footer>
</body>
</html>`;

export const JSON_BODY = { name: "switchboard", tags: ["a", "b"], nested: { ok: true, n: 3 } };

export async function startPagesServer(): Promise<PagesServer> {
  const hits: string[] = [];
  let aborted = 0;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://pages");
    hits.push(url.pathname + url.search);
    const send = (status: number, type: string | null, body: string | Buffer) => {
      res.writeHead(status, type ? { "content-type": type } : {});
      res.end(body);
    };
    const p = url.pathname;
    if (p === "/article") return send(200, "text/html; charset=utf-8", ARTICLE_HTML);
    if (p === "/aside-only") {
      return send(
        200,
        "text/html",
        `<html><head><title>Widget</title><script>var X = "ASIDE-SCRIPT-MARKER";</script></head>` +
          `<body><aside>Opening hours: 9 to 5 on weekdays.</aside><style>aside{}</style></body></html>`,
      );
    }
    if (p === "/plain") return send(200, "text/plain; charset=utf-8", "Plain café text.\r\nSecond line.\n");
    if (p === "/latin1") return send(200, "text/plain; charset=iso-8859-1", Buffer.from("Caf\xe9 cr\xe8me", "latin1"));
    if (p === "/json") return send(200, "application/json", JSON.stringify(JSON_BODY));
    if (p === "/problem-json") return send(200, "application/problem+json", '{"title":"Not here"}');
    if (p === "/pdf") return send(200, "application/pdf", Buffer.from("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"));
    if (p === "/image") return send(200, "image/png", Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0]));
    if (p === "/untyped-html") return send(200, null, "<!DOCTYPE html><html><head><title>Untyped</title></head><body><p>Sniffed as HTML.</p></body></html>");
    if (p === "/untyped-binary") return send(200, null, Buffer.from([0, 1, 2, 3, 0, 0, 255]));
    if (p === "/long-text") return send(200, "text/plain", "abcdefghij".repeat(5_000)); // 50,000 chars
    if (p === "/big") {
      // 300,000 bytes: 3,000 lines of 100 bytes, each numbered
      const lines = Array.from({ length: 3_000 }, (_, i) => `line ${String(i).padStart(5, "0")} `.padEnd(99, ".") + "\n");
      return send(200, "text/plain", lines.join(""));
    }
    if (p === "/endless") {
      res.writeHead(200, { "content-type": "text/plain" });
      const chunk = "x".repeat(16 * 1024);
      const pump = () => {
        while (!res.destroyed && res.write(chunk)) {
          /* keep writing until the socket pushes back */
        }
        if (!res.destroyed) res.once("drain", pump);
      };
      res.on("close", () => {
        if (!res.writableFinished) aborted++;
      });
      return pump();
    }
    if (p === "/slow") return; // never answers
    if (p === "/headers") return send(200, "application/json", JSON.stringify(req.headers));
    if (p.startsWith("/status/")) return send(Number(p.slice(8)) || 500, "text/plain", "status page");
    if (p === "/redirect") {
      const to = url.searchParams.get("to") ?? "/article";
      res.writeHead(Number(url.searchParams.get("status") ?? "302"), { location: to });
      return res.end();
    }
    if (p.startsWith("/chain/")) {
      const n = Number(p.slice(7));
      if (n <= 0) return send(200, "text/plain", "end of chain");
      res.writeHead(301, { location: `/chain/${n - 1}` });
      return res.end();
    }
    if (p === "/secret") return send(200, "text/plain", "internal secret");
    send(404, "text/plain", "not found");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    hits,
    endlessAborted: () => aborted,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
