// The YAML parser, loaded at the first document it is asked to read: it is
// ~70 modules and ~30 ms of a start, and most installs have neither a
// `.security.yml` beside their config nor skills to read front matter from.
import { createRequire } from "node:module";

let parse: ((text: string) => unknown) | undefined;

/** `text` as YAML (the `yaml` package's parse); throws its error for text that is not */
export function parseYaml(text: string): unknown {
  parse ??= (createRequire(import.meta.url)("yaml") as { parse: (t: string) => unknown }).parse;
  return parse(text);
}
