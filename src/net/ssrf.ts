// The address policy of the SSRF guard: which hosts and addresses a
// model-chosen URL may reach. Host spellings are normalized by the WHATWG URL
// parser (decimal, hex, octal and short IPv4 forms all become dotted quads,
// IPv6 is compressed); addresses are matched with node:net BlockLists.
// The fetch that applies this policy lives in guarded-fetch.ts.
import { BlockList, isIP } from "node:net";

/** Why an address or host is refused. */
export type AddressCategory =
  | "loopback"
  | "unspecified"
  | "private"
  | "link-local"
  | "cgnat"
  | "unique-local"
  | "multicast"
  | "broadcast"
  | "reserved"
  | "metadata";

const LABELS: Record<AddressCategory, string> = {
  loopback: "a loopback address",
  unspecified: "an unspecified address",
  private: "a private address",
  "link-local": "a link-local address",
  cgnat: "a carrier-grade NAT (shared) address",
  "unique-local": "a unique-local IPv6 address",
  multicast: "a multicast address",
  broadcast: "the broadcast address",
  reserved: "a reserved address",
  metadata: "a cloud metadata address",
};

/** "a private address", "a cloud metadata address", ... for messages. */
export function categoryLabel(category: AddressCategory): string {
  return LABELS[category];
}

/** A URL or address the guard will not fetch. The message says why and starts with "refused:". */
export class SsrfRefusal extends Error {
  readonly category: AddressCategory | "scheme" | "credentials" | "redirects" | "invalid";
  constructor(category: SsrfRefusal["category"], message: string) {
    super(message);
    this.name = "SsrfRefusal";
    this.category = category;
  }
}

type Rule = readonly [network: string, prefix: number, category: AddressCategory];

// Order matters: the first matching category names the refusal.
const V4_RULES: readonly Rule[] = [
  ["169.254.169.254", 32, "metadata"], // AWS, GCP, Azure, OpenStack, DigitalOcean...
  ["168.63.129.16", 32, "metadata"], // Azure WireServer
  ["100.100.100.200", 32, "metadata"], // Alibaba Cloud
  ["255.255.255.255", 32, "broadcast"],
  ["0.0.0.0", 8, "unspecified"],
  ["127.0.0.0", 8, "loopback"],
  ["10.0.0.0", 8, "private"],
  ["172.16.0.0", 12, "private"],
  ["192.168.0.0", 16, "private"],
  ["169.254.0.0", 16, "link-local"],
  ["100.64.0.0", 10, "cgnat"],
  ["224.0.0.0", 4, "multicast"],
  ["240.0.0.0", 4, "reserved"], // "future use", includes broadcast
  ["192.0.0.0", 24, "reserved"], // IETF protocol assignments (incl. Oracle's 192.0.0.192)
  ["192.0.2.0", 24, "reserved"], // TEST-NET-1
  ["198.51.100.0", 24, "reserved"], // TEST-NET-2
  ["203.0.113.0", 24, "reserved"], // TEST-NET-3
  ["198.18.0.0", 15, "reserved"], // benchmarking
  ["192.88.99.0", 24, "reserved"], // 6to4 relay anycast
];

const V6_RULES: readonly Rule[] = [
  ["fd00:ec2::254", 128, "metadata"], // AWS IMDS over IPv6
  ["::", 128, "unspecified"],
  ["::1", 128, "loopback"],
  ["fe80::", 10, "link-local"],
  ["fec0::", 10, "private"], // deprecated site-local
  ["fc00::", 7, "unique-local"],
  ["ff00::", 8, "multicast"],
  ["64:ff9b:1::", 48, "private"], // local-use NAT64
  ["100::", 64, "reserved"], // discard-only
  ["2001::", 23, "reserved"], // IETF protocol assignments, incl. Teredo
  ["2001:db8::", 32, "reserved"], // documentation
  ["3fff::", 20, "reserved"], // documentation
];

function buildLists(rules: readonly Rule[], family: "ipv4" | "ipv6"): [BlockList, AddressCategory][] {
  return rules.map(([network, prefix, category]) => {
    const list = new BlockList();
    list.addSubnet(network, prefix, family);
    return [list, category];
  });
}

const V4_LISTS = buildLists(V4_RULES, "ipv4");
const V6_LISTS = buildLists(V6_RULES, "ipv6");

/** The 16 bytes of an IPv6 address (zone id ignored), or null if it is not one. */
function ipv6Bytes(input: string): Uint8Array | null {
  const ip = input.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  if (isIP(ip) !== 6) return null;
  let head = ip;
  const tail: number[] = [];
  const lastColon = ip.lastIndexOf(":");
  const last = ip.slice(lastColon + 1);
  if (last.includes(".")) {
    // embedded dotted quad, e.g. ::ffff:127.0.0.1
    for (const part of last.split(".")) tail.push(Number(part));
    head = ip.slice(0, lastColon + 1) + "0:0"; // placeholder groups, overwritten below
  }
  const [left = "", right] = head.split("::");
  const groups = (s: string) => (s === "" ? [] : s.split(":").map((g) => parseInt(g, 16)));
  const l = groups(left);
  const r = right === undefined ? [] : groups(right);
  const zeros = right === undefined ? 0 : 8 - l.length - r.length;
  const all = [...l, ...new Array<number>(zeros).fill(0), ...r];
  const bytes = new Uint8Array(16);
  all.forEach((g, i) => {
    bytes[i * 2] = (g >> 8) & 0xff;
    bytes[i * 2 + 1] = g & 0xff;
  });
  tail.forEach((b, i) => {
    bytes[12 + i] = b;
  });
  return bytes;
}

const dotted = (b: Uint8Array, at: number) => `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
const allZero = (b: Uint8Array, from: number, to: number) => b.subarray(from, to).every((x) => x === 0);

/**
 * The IPv4 address an IPv6 address stands for, when it embeds one:
 * IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d), SIIT (::ffff:0:a.b.c.d),
 * NAT64 (64:ff9b::a.b.c.d) and 6to4 (2002:aabb:ccdd::).
 */
export function embeddedIPv4(ip: string): string | null {
  const b = ipv6Bytes(ip);
  if (!b) return null;
  if (allZero(b, 0, 10) && b[10] === 0xff && b[11] === 0xff) return dotted(b, 12); // mapped
  if (allZero(b, 0, 8) && b[8] === 0xff && b[9] === 0xff && allZero(b, 10, 12)) return dotted(b, 12); // SIIT
  if (allZero(b, 0, 12)) return dotted(b, 12); // compatible (deprecated); also :: and ::1
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && allZero(b, 4, 12)) return dotted(b, 12);
  if (b[0] === 0x20 && b[1] === 0x02) return dotted(b, 2); // 6to4
  return null;
}

/**
 * What kind of non-public address `ip` is, or null when it is a public unicast
 * address (or not an IP address at all).
 */
export function classifyAddress(ip: string): AddressCategory | null {
  const bare = ip.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  const family = isIP(bare);
  if (family === 4) {
    for (const [list, category] of V4_LISTS) if (list.check(bare, "ipv4")) return category;
    return null;
  }
  if (family !== 6) return null;
  for (const [list, category] of V6_LISTS) if (list.check(bare, "ipv6")) return category;
  const v4 = embeddedIPv4(bare);
  if (v4 !== null) {
    const inner = classifyAddress(v4);
    if (inner) return inner;
    const b = ipv6Bytes(bare);
    // IPv4-compatible addresses are deprecated; nothing public lives there.
    if (b && allZero(b, 0, 12)) return "reserved";
    return null;
  }
  const first = ipv6Bytes(bare)?.[0] ?? 0;
  // Only 2000::/3 is global unicast; everything else is reserved by IANA.
  if ((first & 0xe0) !== 0x20) return "reserved";
  return null;
}

/**
 * True for any address the guard refuses: loopback, private, link-local, CGNAT,
 * unique-local, multicast, broadcast, reserved, unspecified and cloud metadata,
 * in IPv4, IPv6 and IPv4-in-IPv6 forms. False for public addresses and for
 * strings that are not IP addresses.
 */
export function isPrivateAddress(ip: string): boolean {
  return classifyAddress(ip) !== null;
}

/** Host names of cloud metadata services, refused before any DNS lookup. */
const METADATA_NAMES = new Set([
  "metadata.google.internal",
  "metadata.goog",
  "metadata",
  "instance-data",
  "instance-data.ec2.internal",
  "metadata.azure.internal",
]);

/** A URL hostname in comparable form: lower case, no brackets, no trailing dot. */
export function normalizeHost(hostname: string): string {
  return hostname.toLowerCase().replace(/^\[|\]$/g, "").replace(/\.+$/, "");
}

/** What a host name (not an address) is known to be without asking DNS, or null. */
export function classifyHostName(hostname: string): AddressCategory | null {
  const host = normalizeHost(hostname);
  if (METADATA_NAMES.has(host)) return "metadata";
  if (host === "localhost" || host.endsWith(".localhost")) return "loopback";
  return null;
}

const LOCAL_SUFFIXES = [".local", ".internal", ".lan", ".home.arpa", ".localhost", ".intranet", ".corp"];

/**
 * True when a URL points at this machine or a private network as far as can be
 * told without DNS: a non-public address literal (in any spelling), localhost,
 * a single-label name, or a name under a local-only suffix (.local, .internal,
 * .lan, .home.arpa, ...). Used to accept self-hosted provider base URLs.
 * Returns false for unparsable URLs.
 */
export function isLoopbackOrPrivateUrl(url: string | URL): boolean {
  let parsed: URL;
  try {
    parsed = typeof url === "string" ? new URL(url) : url;
  } catch {
    return false;
  }
  const host = normalizeHost(parsed.hostname);
  if (host === "") return false;
  if (isIP(host) !== 0) return isPrivateAddress(host);
  if (classifyHostName(host) !== null) return true;
  if (!host.includes(".")) return true;
  return LOCAL_SUFFIXES.some((s) => host.endsWith(s));
}

/** Exact host names an owner allowed (tools.web.fetch.allow_hosts), normalized. */
export function allowHostSet(hosts: readonly string[] | undefined): ReadonlySet<string> {
  return new Set((hosts ?? []).map(normalizeHost).filter((h) => h !== ""));
}

/**
 * Checks a URL before any connection: scheme, credentials, and a host that is an
 * address literal or a known-bad name. Throws SsrfRefusal; returns the normalized
 * host and whether it still needs DNS resolution.
 */
export function checkUrlTarget(url: URL, allow: ReadonlySet<string>): { host: string; needsDns: boolean } {
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new SsrfRefusal("scheme", `refused: only http and https URLs can be fetched, not ${url.protocol}`);
  }
  if (url.username !== "" || url.password !== "") {
    throw new SsrfRefusal("credentials", "refused: URLs with embedded credentials are not fetched");
  }
  const host = normalizeHost(url.hostname);
  const allowed = allow.has(host);
  if (isIP(host) !== 0) {
    const category = allowed ? null : classifyAddress(host);
    if (category) throw new SsrfRefusal(category, `refused: ${displayHost(host)} is ${LABELS[category]}`);
    return { host, needsDns: false };
  }
  const category = allowed ? null : classifyHostName(host);
  if (category) throw new SsrfRefusal(category, `refused: ${host} is ${LABELS[category]}`);
  return { host, needsDns: true };
}

/**
 * Checks every address a host resolved to. One bad address refuses the host:
 * a name that answers with both public and private addresses is not trusted.
 */
export function checkResolved(host: string, addresses: readonly string[], allow: ReadonlySet<string>): void {
  if (allow.has(host)) return;
  for (const address of addresses) {
    const category = classifyAddress(address);
    if (category) {
      throw new SsrfRefusal(category, `refused: ${host} resolves to ${address}, ${LABELS[category]}`);
    }
  }
}

function displayHost(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}
