// The address policy: every kind of non-public address, in every spelling a
// URL can carry, is refused before any connection; public addresses pass.
import { describe, expect, it } from "vitest";
import {
  allowHostSet,
  checkResolved,
  checkUrlTarget,
  classifyAddress,
  embeddedIPv4,
  isLoopbackOrPrivateUrl,
  isPrivateAddress,
  SsrfRefusal,
} from "../../src/net/ssrf.ts";

const none = allowHostSet([]);

function refusal(url: string, allow = none): SsrfRefusal {
  try {
    checkUrlTarget(new URL(url), allow);
  } catch (err) {
    if (err instanceof SsrfRefusal) return err;
    throw err;
  }
  throw new Error(`${url} was not refused`);
}

describe("classifyAddress / isPrivateAddress", () => {
  it.each([
    ["127.0.0.1", "loopback"],
    ["127.255.255.254", "loopback"],
    ["::1", "loopback"],
    ["0.0.0.0", "unspecified"],
    ["0.1.2.3", "unspecified"],
    ["::", "unspecified"],
    ["10.0.0.5", "private"],
    ["10.255.255.255", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["169.254.1.1", "link-local"],
    ["fe80::1", "link-local"],
    ["febf:ffff::1", "link-local"],
    ["100.64.0.1", "cgnat"],
    ["100.127.255.255", "cgnat"],
    ["fc00::1", "unique-local"],
    ["fd12:3456:789a::1", "unique-local"],
    ["224.0.0.1", "multicast"],
    ["239.255.255.250", "multicast"],
    ["ff02::1", "multicast"],
    ["255.255.255.255", "broadcast"],
    ["240.0.0.1", "reserved"],
    ["192.0.2.10", "reserved"],
    ["198.18.0.1", "reserved"],
    ["2001:db8::1", "reserved"],
    ["169.254.169.254", "metadata"],
    ["fd00:ec2::254", "metadata"],
    ["100.100.100.200", "metadata"],
  ])("%s is %s", (ip, category) => {
    expect(classifyAddress(ip)).toBe(category);
    expect(isPrivateAddress(ip)).toBe(true);
  });

  it.each([
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["0:0:0:0:0:ffff:7f00:0001", "loopback"],
    ["::ffff:10.0.0.5", "private"],
    ["::ffff:a9fe:a9fe", "metadata"],
    ["::ffff:169.254.169.254", "metadata"],
    ["::7f00:1", "loopback"], // IPv4-compatible
    ["::ffff:0:7f00:1", "loopback"], // SIIT
    ["64:ff9b::a00:5", "private"], // NAT64 of 10.0.0.5
    ["2002:7f00:1::1", "loopback"], // 6to4 of 127.0.0.1
    ["2002:c0a8:101::", "private"], // 6to4 of 192.168.1.1
  ])("IPv4 embedded in IPv6: %s is %s", (ip, category) => {
    expect(classifyAddress(ip)).toBe(category);
  });

  it.each([
    "8.8.8.8",
    "1.1.1.1",
    "93.184.216.34",
    "172.15.255.255", // just below 172.16/12
    "172.32.0.0", // just above
    "100.63.255.255", // just below 100.64/10
    "100.128.0.0", // just above
    "169.253.255.255",
    "11.0.0.1",
    "223.255.255.255",
    "2606:4700:4700::1111",
    "2a00:1450:4001:80b::200e",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",
  ])("%s is public", (ip) => {
    expect(classifyAddress(ip)).toBeNull();
    expect(isPrivateAddress(ip)).toBe(false);
  });

  it("treats IPv6 outside global unicast (2000::/3) as reserved", () => {
    expect(classifyAddress("4000::1")).toBe("reserved");
    expect(classifyAddress("::8.8.8.8")).toBe("reserved"); // deprecated IPv4-compatible form
  });

  it("returns false for strings that are not addresses", () => {
    expect(isPrivateAddress("localhost")).toBe(false);
    expect(isPrivateAddress("")).toBe(false);
    expect(isPrivateAddress("127.0.0.1.5")).toBe(false);
  });

  it("reads the IPv4 address inside mapped, NAT64 and 6to4 forms", () => {
    expect(embeddedIPv4("::ffff:7f00:1")).toBe("127.0.0.1");
    expect(embeddedIPv4("64:ff9b::808:808")).toBe("8.8.8.8");
    expect(embeddedIPv4("2002:c0a8:101::1")).toBe("192.168.1.1");
    expect(embeddedIPv4("2606:4700::1")).toBeNull();
  });
});

describe("checkUrlTarget", () => {
  it.each([
    ["http://127.0.0.1/", "refused: 127.0.0.1 is a loopback address"],
    ["http://2130706433/", "refused: 127.0.0.1 is a loopback address"], // decimal
    ["http://0x7f000001/", "refused: 127.0.0.1 is a loopback address"], // hex
    ["http://0177.0.0.1/", "refused: 127.0.0.1 is a loopback address"], // octal
    ["http://127.1/", "refused: 127.0.0.1 is a loopback address"], // short
    ["http://0x7f.1/", "refused: 127.0.0.1 is a loopback address"], // mixed
    ["http://127.0.0.1./", "refused: 127.0.0.1 is a loopback address"], // trailing dot
    ["http://[::1]:8080/", "refused: [::1] is a loopback address"],
    ["http://[0:0:0:0:0:0:0:1]/", "refused: [::1] is a loopback address"],
    ["http://[::ffff:127.0.0.1]/", "refused: [::ffff:7f00:1] is a loopback address"],
    ["http://[::ffff:7f00:1]/", "refused: [::ffff:7f00:1] is a loopback address"],
    ["http://0.0.0.0:3000/", "refused: 0.0.0.0 is an unspecified address"],
    ["http://0/", "refused: 0.0.0.0 is an unspecified address"],
    ["http://[::]/", "refused: [::] is an unspecified address"],
    ["https://10.0.0.5/admin", "refused: 10.0.0.5 is a private address"],
    ["http://172.20.1.1/", "refused: 172.20.1.1 is a private address"],
    ["http://192.168.0.1/", "refused: 192.168.0.1 is a private address"],
    ["http://3232235521/", "refused: 192.168.0.1 is a private address"],
    ["http://169.254.10.1/", "refused: 169.254.10.1 is a link-local address"],
    ["http://[fe80::1]/", "refused: [fe80::1] is a link-local address"],
    ["http://100.64.1.1/", "refused: 100.64.1.1 is a carrier-grade NAT (shared) address"],
    ["http://[fd00::1]/", "refused: [fd00::1] is a unique-local IPv6 address"],
    ["http://224.0.0.251/", "refused: 224.0.0.251 is a multicast address"],
    ["http://255.255.255.255/", "refused: 255.255.255.255 is the broadcast address"],
    ["http://169.254.169.254/latest/meta-data/", "refused: 169.254.169.254 is a cloud metadata address"],
    ["http://2852039166/", "refused: 169.254.169.254 is a cloud metadata address"],
    ["http://[::ffff:169.254.169.254]/", "refused: [::ffff:a9fe:a9fe] is a cloud metadata address"],
    ["http://[fd00:ec2::254]/latest/", "refused: [fd00:ec2::254] is a cloud metadata address"],
    ["http://metadata.google.internal/computeMetadata/v1/", "refused: metadata.google.internal is a cloud metadata address"],
    ["http://METADATA.Google.Internal./", "refused: metadata.google.internal is a cloud metadata address"],
    ["http://localhost:8080/", "refused: localhost is a loopback address"],
    ["http://api.localhost/", "refused: api.localhost is a loopback address"],
  ])("refuses %s", (url, message) => {
    expect(refusal(url).message).toBe(message);
  });

  it.each(["file:///etc/passwd", "ftp://example.com/x", "gopher://example.com/", "data:text/plain,hi", "javascript:alert(1)", "ws://example.com/"])(
    "refuses the %s scheme",
    (url) => {
      const err = refusal(url);
      expect(err.category).toBe("scheme");
      expect(err.message).toMatch(/^refused: only http and https URLs can be fetched/);
    },
  );

  it("refuses URLs carrying credentials", () => {
    expect(refusal("http://user:pw@example.com/").message).toBe("refused: URLs with embedded credentials are not fetched");
  });

  it("passes public literals without DNS and names with DNS", () => {
    expect(checkUrlTarget(new URL("http://8.8.8.8/"), none)).toEqual({ host: "8.8.8.8", needsDns: false });
    expect(checkUrlTarget(new URL("https://[2606:4700:4700::1111]/"), none)).toEqual({
      host: "2606:4700:4700::1111",
      needsDns: false,
    });
    expect(checkUrlTarget(new URL("https://Example.COM./a"), none)).toEqual({ host: "example.com", needsDns: true });
  });

  it("lets exact allow_hosts entries through, and only those", () => {
    const allow = allowHostSet(["Intranet.Example.", "127.0.0.1", "[::1]"]);
    expect(checkUrlTarget(new URL("http://intranet.example/"), allow).host).toBe("intranet.example");
    expect(checkUrlTarget(new URL("http://127.0.0.1:9000/"), allow).needsDns).toBe(false);
    expect(checkUrlTarget(new URL("http://[::1]/"), allow).host).toBe("::1");
    // a different spelling of an allowed address is the same address after normalization
    expect(checkUrlTarget(new URL("http://2130706433/"), allow).host).toBe("127.0.0.1");
    // but neighbours are not allowed
    expect(refusal("http://127.0.0.2/", allow).category).toBe("loopback");
    expect(refusal("http://sub.intranet.example.localhost/", allow).category).toBe("loopback");
  });
});

describe("checkResolved", () => {
  it("refuses a host when any resolved address is not public", () => {
    expect(() => checkResolved("mixed.example", ["93.184.216.34", "10.1.2.3"], none)).toThrow(
      "refused: mixed.example resolves to 10.1.2.3, a private address",
    );
    expect(() => checkResolved("v6.example", ["::ffff:127.0.0.1"], none)).toThrow(/resolves to ::ffff:127.0.0.1, a loopback address/);
  });

  it("accepts public answers and allowed hosts", () => {
    expect(() => checkResolved("example.com", ["93.184.216.34", "2606:2800:220:1::1"], none)).not.toThrow();
    expect(() => checkResolved("nas.home", ["192.168.1.10"], allowHostSet(["nas.home"]))).not.toThrow();
  });
});

describe("isLoopbackOrPrivateUrl", () => {
  it.each([
    "http://127.0.0.1:8080/v1",
    "http://localhost:4000",
    "http://[::1]:11434/",
    "http://10.1.2.3/v1",
    "http://192.168.1.20:11434",
    "http://2130706433/",
    "http://litellm:4000/v1", // docker compose service name
    "http://proxy.internal/v1",
    "http://nas.local:8080",
    "http://router.home.arpa/",
  ])("%s is local", (url) => {
    expect(isLoopbackOrPrivateUrl(url)).toBe(true);
  });

  it.each(["https://api.openai.com/v1", "https://8.8.8.8/", "https://example.com", "not a url", ""])("%s is not", (url) => {
    expect(isLoopbackOrPrivateUrl(url)).toBe(false);
  });

  it("accepts URL objects", () => {
    expect(isLoopbackOrPrivateUrl(new URL("http://[::ffff:10.0.0.1]/"))).toBe(true);
  });
});
