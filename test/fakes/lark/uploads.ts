// The fake's upload endpoints, as the open platform takes them: POST
// /open-apis/im/v1/files (multipart: file_type opus|mp4|pdf|doc|xls|ppt|stream,
// file_name, optional duration, file; 30 MB, no empty files) → data.file_key,
// and POST /open-apis/im/v1/images (multipart: image_type message|avatar,
// image; 10 MB) → data.image_key. Every upload is recorded with its bytes so
// tests can check what arrived; a message naming a key checks it exists
// (and, for msg_type "audio", that it was uploaded as opus).
import type { IncomingMessage, ServerResponse } from "node:http";
import { newId } from "./events.ts";

export interface Upload {
  key: string;
  /** which endpoint took it */
  endpoint: "files" | "images";
  /** file_type (files) or image_type (images) */
  type: string;
  fileName: string;
  /** the multipart part's Content-Type */
  contentType: string;
  /** files: the duration field (ms), when sent */
  duration?: number;
  data: Buffer;
}

export const FILE_TYPES = new Set(["opus", "mp4", "pdf", "doc", "xls", "ppt", "stream"]);

export class FakeUploads {
  readonly list: Upload[] = [];
  /** file upload limit (Feishu: 30 MB); bigger answers code 234006 */
  fileLimit = 30 * 1024 * 1024;
  imageLimit = 10 * 1024 * 1024;

  byKey(key: string): Upload | undefined {
    return this.list.find((u) => u.key === key);
  }

  /** an error message for a message whose content names a key we never issued, or undefined when fine */
  checkContent(msgType: string, content: unknown): string | undefined {
    const c = (typeof content === "object" && content !== null ? content : {}) as { file_key?: unknown; image_key?: unknown };
    if (msgType === "image") return typeof c.image_key === "string" && this.byKey(c.image_key)?.endpoint === "images" ? undefined : "invalid image_key";
    if (msgType === "file" || msgType === "audio") {
      const up = typeof c.file_key === "string" ? this.byKey(c.file_key) : undefined;
      if (!up || up.endpoint !== "files") return "invalid file_key";
      if (msgType === "audio" && up.type !== "opus") return "audio messages need a file uploaded with file_type opus";
    }
    return undefined;
  }

  async handle(endpoint: "files" | "images", req: IncomingMessage, res: ServerResponse): Promise<void> {
    const type = req.headers["content-type"] ?? "";
    if (!type.startsWith("multipart/form-data")) return json(res, 400, { code: 234001, msg: "Invalid request param: content-type must be multipart/form-data" });
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let form: FormData;
    try {
      form = await new Response(Buffer.concat(chunks), { headers: { "content-type": type } }).formData();
    } catch {
      return json(res, 400, { code: 234001, msg: "Invalid request param: unreadable multipart body" });
    }
    const fileField = endpoint === "files" ? "file" : "image";
    const file = form.get(fileField);
    if (!file || typeof file === "string") return json(res, 400, { code: 234001, msg: `Invalid request param: ${fileField}` });
    const data = Buffer.from(await file.arrayBuffer());
    if (data.length === 0) return json(res, 400, { code: 234010, msg: "File's size can't be 0." });
    const kind = String(form.get(endpoint === "files" ? "file_type" : "image_type") ?? "");
    if (endpoint === "files" && !FILE_TYPES.has(kind)) return json(res, 400, { code: 234001, msg: "Invalid request param: file_type" });
    if (endpoint === "images" && kind !== "message" && kind !== "avatar") return json(res, 400, { code: 234001, msg: "Invalid request param: image_type" });
    if (data.length > (endpoint === "files" ? this.fileLimit : this.imageLimit)) return json(res, 400, { code: 234006, msg: "The file size exceed the max value." });
    const fileName = endpoint === "files" ? String(form.get("file_name") ?? "") : file.name;
    if (endpoint === "files" && !fileName) return json(res, 400, { code: 234001, msg: "Invalid request param: file_name" });
    const key = endpoint === "files" ? newId("file_v3_") : newId("img_v3_");
    const duration = form.get("duration");
    if (duration !== null && !/^\d+$/.test(String(duration))) return json(res, 400, { code: 234001, msg: "Invalid request param: duration" });
    this.list.push({ key, endpoint, type: kind, fileName, contentType: file.type, data, ...(duration !== null ? { duration: Number(duration) } : {}) });
    json(res, 200, { code: 0, msg: "success", data: endpoint === "files" ? { file_key: key } : { image_key: key } });
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
  res.end(JSON.stringify(body));
}
