// `npm run bench`: runs every benchmark in turn and prints figures. Nothing
// here asserts a time; the figures are for people to compare.
const suites: { name: string; load: () => Promise<{ run: () => Promise<void> }> }[] = [
  { name: "router overhead", load: () => import("./router.ts") },
  { name: "http clients", load: () => import("./http-clients.ts") },
  { name: "agent turn", load: () => import("./agent-turn.ts") },
  { name: "turn calls", load: () => import("./turn-calls.ts") },
  { name: "request size", load: () => import("./request-size.ts") },
  { name: "CLI cold start", load: () => import("./cli-startup.ts") },
  { name: "gateway", load: () => import("./gateway.ts") },
  { name: "fleet throughput", load: () => import("./fleet-throughput.ts") },
  { name: "fleet takeover", load: () => import("./fleet-takeover.ts").then((m) => ({ run: () => m.run().then(() => undefined) })) },
];

const only = process.argv[2];
for (const suite of suites) {
  if (only && !suite.name.includes(only)) continue;
  console.log(`\n## ${suite.name}`);
  const mod = await suite.load();
  await mod.run();
}
