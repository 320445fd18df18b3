// Preloaded into a started gateway (node --import): writes the URL of every
// module the process loaded to $SWITCHBOARD_TEST_MODULES_FILE when it exits,
// so a test can tell which code ran (the bundle or the sources), and Node's
// own list of the built-ins it had loaded when it became ready to
// $SWITCHBOARD_TEST_BUILTINS_FILE, so a test can tell what the start loaded.
// Built-ins are taken without an ES module facade (an `import … from
// "node:fs"` here would load fs's streams itself).
import { registerHooks } from "node:module";

const { writeFileSync } = process.getBuiltinModule("node:fs");

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

const builtinsFile = process.env.SWITCHBOARD_TEST_BUILTINS_FILE;
if (builtinsFile) {
  // the moment the daemon logs "gateway ready" (src/gateway/daemon.ts), just before its warm-up loads the SDKs; the
  // logger writes each line with fs.writeSync, which the bundle's chunks read off node:fs after this preload ran
  const fs = process.getBuiltinModule("node:fs");
  const writeSync = fs.writeSync;
  let written = false;
  fs.writeSync = function (fd: number, data: unknown, ...rest: unknown[]) {
    if (!written && typeof data === "string" && data.includes('"msg":"gateway ready"')) {
      written = true;
      // moduleLoadList: Node's own record of what it loaded, undeclared in @types/node
      writeFileSync(builtinsFile, (process as unknown as { moduleLoadList: string[] }).moduleLoadList.join("\n"));
    }
    return (writeSync as (...a: unknown[]) => number)(fd, data, ...rest);
  } as typeof fs.writeSync;
}
