// Config keys of the exec and file tools (tools.exec, tools.files). Both are
// off by default; exec runs in bubblewrap unless sandbox is "none".
import { z } from "zod";

const regex = z.string().refine(
  (s) => {
    try {
      new RegExp(s);
      return true;
    } catch {
      return false;
    }
  },
  { message: "not a valid regular expression" },
);

export const execSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    /** "bwrap": bubblewrap sandbox (refuses to run without it); "none": runs on the host (doctor warns) */
    sandbox: z.enum(["bwrap", "none"]).default("bwrap"),
    allow_network: z.boolean().default(false),
    timeout_seconds: z.number().positive().max(3600).default(60),
    max_output_chars: z.number().int().positive().default(16_000),
    /** when set, only these programs may run (first word of each command in a pipeline or list) */
    allow_commands: z.array(z.string().min(1)).optional(),
    /** PicoClaw: commands matching any of these are refused */
    custom_deny_patterns: z.array(regex).nullish(),
  })
  .prefault({});
export type ExecConfig = z.infer<typeof execSchema>;

export const filesSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    max_read_bytes: z.number().int().positive().default(256 * 1024),
    max_write_bytes: z.number().int().positive().default(1024 * 1024),
  })
  .prefault({});
export type FilesConfig = z.infer<typeof filesSchema>;
