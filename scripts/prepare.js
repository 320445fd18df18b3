// npm's `prepare` (run by `npm install` and `npm ci`): builds the bundle in
// dist/ (scripts/build.ts --prepare). Plain JavaScript that parses on any
// Node, because an install may run under an older system Node before the
// project's own Node 24 is in place: there it says so and the install goes on
// (the command then runs from the sources).
const major = Number(process.versions.node.split(".")[0]);
if (major < 24) {
  process.stderr.write(`switchboard build: skipped under Node ${process.versions.node} (the bundle is built with Node 24); the command runs from the sources\n`);
} else {
  const { cli } = await import("./build.ts");
  process.exitCode = await cli(["--prepare"]);
}
