// How many tool calls have run in this process. A tool may write the
// workspace (memory_write, write_file, exec), so the prompt builder checks the
// workspace files again after any tool ran instead of waiting for its
// once-a-second look (src/agent/prompt.ts).
let runs = 0;

export function noteToolRun(): void {
  runs++;
}

export function toolRunCount(): number {
  return runs;
}
