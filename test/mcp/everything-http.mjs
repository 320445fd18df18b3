// Runs @modelcontextprotocol/server-everything's streamable HTTP mode bound
// to 127.0.0.1 on a free port (the package listens on every interface on
// $PORT): listen() is pinned to loopback before the server module loads, and
// the real port is printed as "LISTENING <port>" on stderr.
import net from "node:net";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === "number" || typeof args[0] === "string") {
    const port = Number(args[0]);
    const cb = args.find((a) => typeof a === "function");
    this.once("listening", () => process.stderr.write(`LISTENING ${this.address().port}\n`));
    return listen.call(this, port, "127.0.0.1", cb);
  }
  return listen.apply(this, args);
};
process.env.PORT = "0";
const require = createRequire(import.meta.url);
const pkg = dirname(require.resolve("@modelcontextprotocol/server-everything/package.json"));
await import(join(pkg, "dist", "transports", "streamableHttp.js"));
