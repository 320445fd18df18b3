// A forward HTTP proxy on 127.0.0.1 for tests: CONNECT tunnels (what undici's
// ProxyAgent uses) and plain absolute-URI requests, each counted with the
// target it asked for and the Proxy-Authorization it carried.
import { createServer, type Server } from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";

export interface FakeProxy {
  url: string;
  /** "host:port" of every tunnel or request, in order */
  targets: string[];
  /** Proxy-Authorization header values received */
  auths: string[];
  close(): Promise<void>;
}

export async function startFakeProxy(): Promise<FakeProxy> {
  const targets: string[] = [];
  const auths: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url!);
    targets.push(url.host);
    if (req.headers["proxy-authorization"]) auths.push(String(req.headers["proxy-authorization"]));
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k !== "proxy-authorization" && k !== "host")) as Record<string, string>;
      const r = await fetch(url, { method: req.method!, headers, body: chunks.length ? Buffer.concat(chunks) : null });
      res.writeHead(r.status, Object.fromEntries(r.headers)).end(Buffer.from(await r.arrayBuffer()));
    });
  });
  server.on("connect", (req, socket: Socket) => {
    targets.push(req.url!);
    if (req.headers["proxy-authorization"]) auths.push(String(req.headers["proxy-authorization"]));
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    const [host, port] = req.url!.split(":");
    const up = connect(Number(port), host!, () => {
      socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      up.pipe(socket).pipe(up);
    });
    up.on("error", () => socket.destroy());
    socket.on("error", () => up.destroy());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    targets,
    auths,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
