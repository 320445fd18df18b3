// A loopback server that speaks just enough of PostgreSQL's wire protocol to
// refuse a login the way a real server does when the password is wrong: it
// asks for the password (AuthenticationCleartextPassword), reads it, and
// answers with a FATAL ErrorResponse, SQLSTATE 28P01. The test cluster
// trusts every local connection, so it can never refuse a password itself.
import { createServer, type Server, type Socket } from "node:net";

function errorResponse(code: string, message: string): Buffer {
  const fields = Buffer.concat([
    ...[["S", "FATAL"], ["V", "FATAL"], ["C", code], ["M", message]].map(([k, v]) => Buffer.from(`${k}${v}\0`, "utf8")),
    Buffer.from([0]),
  ]);
  const head = Buffer.alloc(5);
  head.write("E", 0);
  head.writeInt32BE(fields.length + 4, 1);
  return Buffer.concat([head, fields]);
}

const ASK_PASSWORD = Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3]); // 'R', length 8, cleartext password

export interface RefusingServer {
  port: number;
  /** passwords clients sent (the test checks the right one travelled, and no further) */
  passwords: string[];
  close(): Promise<void>;
}

export async function startRefusingServer(): Promise<RefusingServer> {
  const passwords: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    let buf = Buffer.alloc(0);
    let started = false;
    socket.on("data", (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (!started) {
        // the startup message: int32 length, then the protocol version and parameters
        if (buf.length < 4 || buf.length < buf.readInt32BE(0)) return;
        buf = buf.subarray(buf.readInt32BE(0));
        started = true;
        socket.write(ASK_PASSWORD);
      }
      // the password message: 'p', int32 length, the password and a NUL
      if (buf.length < 5 || buf.length < 1 + buf.readInt32BE(1)) return;
      passwords.push(buf.subarray(5, 1 + buf.readInt32BE(1) - 1).toString("utf8"));
      socket.end(errorResponse("28P01", 'password authentication failed for user "sb"'));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as { port: number }).port,
    passwords,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
