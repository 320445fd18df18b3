// Value types shared by the root config schema and the channels' own
// schemas, so "" (an unset ${VAR}) means "not given" the same way everywhere.
import { z } from "zod";

/** An optional text where "" (e.g. an unset ${VAR}) means "not given". */
export const optText = z
  .string()
  .optional()
  .transform((s) => (s === undefined || s.trim() === "" ? undefined : s));

/** An optional URL: "" means "not given"; anything else needs a scheme and a host. */
export const optUrl = z
  .string()
  .optional()
  .transform((s) => (s === undefined || s.trim() === "" ? undefined : s.trim()))
  .refine((s) => s === undefined || /^[a-z][a-z0-9+.-]*:\/\/[^\s/?#]+/i.test(s), {
    message: "not a URL",
  });

/** An id such as a QQ or Feishu app id, often written as a number; kept as a string. */
export const idText = z.union([z.string(), z.number().int().nonnegative().transform(String)]);
