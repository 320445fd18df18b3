// The server's IANA time zone, asked once and only when something needs it:
// the process's first Intl call loads the time zone data (~15 ms CPU, ~20 ms
// wall), which the gateway's start does not need. Every turn asks for it, so
// the answer is kept; it changes only with the TZ variable (ICU reads TZ when
// a formatter is created: a process that sets process.env.TZ gets the new
// zone), so the variable's value is remembered beside the answer.
let zone: string | undefined;
let zoneTz: string | undefined;

export function systemTimeZone(): string {
  const tz = process.env.TZ;
  if (zone === undefined || tz !== zoneTz) {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone ?? "UTC";
    zoneTz = tz;
  }
  return zone;
}
