// A forward proxy on 127.0.0.1 for the tests of channels.discord.proxy (the
// adapter's own tests and the bundle's): tunnels CONNECT and relays
// absolute-URL requests, recording both and counting the bytes it relayed
// down.
import { createServer, request } from "node:http";
import { connect } from "node:net";
import type { AddressInfo } from "node:net";

export interface ForwardProxy {
  url: string;
  /** "CONNECT host:port" or "GET <absolute URL>", in the order they came */
  seen: string[];
  bytesDown: () => number;
  close: () => Promise<void>;
}

/** a forward proxy that tunnels CONNECT and relays absolute-URL requests, recording both */
export async function startProxy(): Promise<ForwardProxy> {
  const seen: string[] = [];
  let down = 0;
  const server = createServer((req, res) => {
    seen.push(`GET ${req.url}`);
    const target = new URL(req.url ?? "");
    const up = request(target, { method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    req.pipe(up);
  });
  server.on("connect", (req, socket, head) => {
    seen.push(`CONNECT ${req.url}`);
    const [host, port] = (req.url ?? "").split(":");
    const upstream = connect(Number(port), host!, () => {
      upstream.on("data", (d: Buffer) => (down += d.length));
      socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on("error", () => socket.destroy());
    socket.on("error", () => upstream.destroy());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, bytesDown: () => down, close };
}
