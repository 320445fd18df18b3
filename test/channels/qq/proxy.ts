// A small HTTP proxy for the proxy test: CONNECT tunnels (undici's
// ProxyAgent) and absolute-form forwarding, recording what it carried.
import { createServer, request, type Server } from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";

export interface TestProxy {
  url: string;
  /** "CONNECT host:port" or "METHOD http://..." per request */
  seen: string[];
  /** bytes that went through CONNECT tunnels towards the target, as text */
  tunnelled(): string;
  close(): Promise<void>;
}

export async function startTestProxy(): Promise<TestProxy> {
  const seen: string[] = [];
  const sockets = new Set<Socket>();
  let upstreamText = "";
  const server: Server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const target = new URL(req.url ?? "/");
    const up = request({ host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on("error", () => res.destroy());
    req.pipe(up);
  });
  server.on("connect", (req, client: Socket, head: Buffer) => {
    seen.push(`CONNECT ${req.url}`);
    const [host, port] = (req.url ?? "").split(":");
    const upstream = connect(Number(port), host!, () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      upstream.write(head);
      upstream.pipe(client);
      client.on("data", (d: Buffer) => {
        upstreamText += d.toString("latin1");
      });
      client.pipe(upstream);
    });
    sockets.add(upstream).add(client);
    const drop = () => {
      upstream.destroy();
      client.destroy();
    };
    upstream.on("error", drop);
    client.on("error", drop);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    tunnelled: () => upstreamText,
    async close() {
      for (const s of sockets) s.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
