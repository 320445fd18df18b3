// Reads an HTTP response body with a size cap: the declared Content-Length
// first, then the bytes as they stream in, so a file over the cap is refused
// without being held in memory. Shared by the channel adapters' downloads.

/** `tooBig(size)` builds the error; size is the declared length when known. */
export async function readCappedBody(res: Response, maxBytes: number, tooBig: (size?: number) => Error): Promise<Buffer> {
  const declared = Number(res.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw tooBig(declared);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  if (res.body) {
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw tooBig();
      }
      chunks.push(Buffer.from(value));
    }
  }
  return Buffer.concat(chunks, total);
}
