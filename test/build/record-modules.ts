// Preloaded into a started gateway (node --import): writes the URL of every
// module the process loaded to $SWITCHBOARD_TEST_MODULES_FILE when it exits,
// so a test can tell which code ran (the bundle or the sources).
import { writeFileSync } from "node:fs";
import { registerHooks } from "node:module";

const loaded: string[] = [];
registerHooks({
  load(url, context, next) {
    loaded.push(url);
    return next(url, context);
  },
});
process.on("exit", () => {
  const file = process.env.SWITCHBOARD_TEST_MODULES_FILE;
  if (file) writeFileSync(file, loaded.join("\n"));
});
