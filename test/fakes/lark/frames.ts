// The long connection's wire format, written independently of the SDK so
// the fake checks the SDK's frames rather than sharing its code: every
// WebSocket message is one protobuf `pbbp2.Frame`
//
//   message Header { required string key = 1; required string value = 2; }
//   message Frame {
//     required uint64 SeqID = 1;  required uint64 LogID = 2;
//     required int32 service = 3; required int32 method = 4;   // 0 control, 1 data
//     repeated Header headers = 5;
//     optional string payload_encoding = 6; optional string payload_type = 7;
//     optional bytes payload = 8;   optional string LogIDNew = 9;
//   }
//
// Headers carry type (ping | pong | event | card), message_id, sum, seq,
// trace_id and, on the client's answer, biz_rt.

export const METHOD_CONTROL = 0;
export const METHOD_DATA = 1;

export interface Frame {
  seqId: number;
  logId: number;
  service: number;
  method: number;
  headers: { key: string; value: string }[];
  payloadEncoding?: string;
  payloadType?: string;
  payload?: Buffer;
  logIdNew?: string;
}

function varint(n: number): number[] {
  if (n < 0) throw new Error("negative varints are not used by this protocol");
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

function tag(field: number, wire: number): number[] {
  return varint(field * 8 + wire);
}

function bytesField(field: number, data: Buffer): number[] {
  return [...tag(field, 2), ...varint(data.length), ...data];
}

export function encodeFrame(f: Frame): Buffer {
  const out: number[] = [
    ...tag(1, 0),
    ...varint(f.seqId),
    ...tag(2, 0),
    ...varint(f.logId),
    ...tag(3, 0),
    ...varint(f.service),
    ...tag(4, 0),
    ...varint(f.method),
  ];
  for (const h of f.headers) {
    const inner = Buffer.from([...bytesField(1, Buffer.from(h.key)), ...bytesField(2, Buffer.from(h.value))]);
    out.push(...bytesField(5, inner));
  }
  if (f.payloadEncoding !== undefined) out.push(...bytesField(6, Buffer.from(f.payloadEncoding)));
  if (f.payloadType !== undefined) out.push(...bytesField(7, Buffer.from(f.payloadType)));
  if (f.payload !== undefined) out.push(...bytesField(8, f.payload));
  if (f.logIdNew !== undefined) out.push(...bytesField(9, Buffer.from(f.logIdNew)));
  return Buffer.from(out);
}

class Reader {
  private pos = 0;
  private readonly buf: Buffer;
  constructor(buf: Buffer) {
    this.buf = buf;
  }
  get done(): boolean {
    return this.pos >= this.buf.length;
  }
  varint(): number {
    let result = 0;
    let mul = 1;
    for (;;) {
      const b = this.buf[this.pos++];
      if (b === undefined) throw new Error("truncated varint");
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 0x80;
    }
  }
  bytes(): Buffer {
    const len = this.varint();
    if (this.pos + len > this.buf.length) throw new Error("truncated length-delimited field");
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw new Error(`unknown wire type ${wire}`);
  }
}

function decodeHeader(buf: Buffer): { key: string; value: string } {
  const r = new Reader(buf);
  let key: string | undefined;
  let value: string | undefined;
  while (!r.done) {
    const t = r.varint();
    if (t === 10) key = r.bytes().toString();
    else if (t === 18) value = r.bytes().toString();
    else r.skip(t & 7);
  }
  if (key === undefined || value === undefined) throw new Error("header without key or value");
  return { key, value };
}

/** Decodes one frame; throws on anything a protobuf decoder of pbbp2.Frame would refuse. */
export function decodeFrame(buf: Buffer): Frame {
  const r = new Reader(buf);
  const seen = new Set<number>();
  const f: Frame = { seqId: 0, logId: 0, service: 0, method: 0, headers: [] };
  while (!r.done) {
    const t = r.varint();
    const field = Math.floor(t / 8);
    seen.add(field);
    switch (field) {
      case 1:
        f.seqId = r.varint();
        break;
      case 2:
        f.logId = r.varint();
        break;
      case 3:
        f.service = r.varint();
        break;
      case 4:
        f.method = r.varint();
        break;
      case 5:
        f.headers.push(decodeHeader(r.bytes()));
        break;
      case 6:
        f.payloadEncoding = r.bytes().toString();
        break;
      case 7:
        f.payloadType = r.bytes().toString();
        break;
      case 8:
        f.payload = Buffer.from(r.bytes());
        break;
      case 9:
        f.logIdNew = r.bytes().toString();
        break;
      default:
        r.skip(t & 7);
    }
  }
  for (const required of [1, 2, 3, 4]) if (!seen.has(required)) throw new Error(`frame without required field ${required}`);
  return f;
}

export function headerOf(f: Frame, key: string): string | undefined {
  return f.headers.find((h) => h.key === key)?.value;
}
