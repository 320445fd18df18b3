// Config keys of skills (top-level `skills`) and of the memory tools
// (`tools.memory`). Both are on by default: they cost a few dozen tokens.
import { z } from "zod";

export const skillsSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** more folders of skills, after <workspace>/skills and <state>/skills */
    dirs: z.array(z.string().min(1)).default([]),
  })
  .prefault({});
export type SkillsConfig = z.infer<typeof skillsSchema>;

export const memorySchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** MEMORY.md stops growing here (it is part of every prompt) */
    max_chars: z.number().int().positive().default(8_000),
    /** a day's note stops growing here */
    daily_max_chars: z.number().int().positive().default(32_000),
  })
  .prefault({});
export type MemoryConfig = z.infer<typeof memorySchema>;
