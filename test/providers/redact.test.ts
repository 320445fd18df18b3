// The one redaction helper (src/core/redact.ts): registered secrets, secrets
// found in a config, and credential shapes nobody registered.
import { afterEach, describe, expect, it } from "vitest";
import { clearRegisteredSecrets, redact, redactValue, registerConfigSecrets, secretsOf } from "../../src/core/redact.ts";

afterEach(() => clearRegisteredSecrets());

describe("redact", () => {
  it("finds every secret a config holds", () => {
    const config = {
      model_list: [{ api_key: "sk-one-abcdef", api_keys: ["k2-abcdefg"], custom_headers: { "X-Org": "org-secret-1" }, proxy: "http://u:pw-secret-9@proxy:3128", api_base: "https://g.example/v1?key=AIzaFAKEFAKE&x=1" }],
      channels: { telegram: { token: "123:tok-abcdef" } },
      env: { OPENAI_API_KEY: "sk-env-abcdef" },
      model_name: "not-a-secret",
    };
    expect(secretsOf(config).sort()).toEqual(["123:tok-abcdef", "AIzaFAKEFAKE", "k2-abcdefg", "org-secret-1", "pw-secret-9", "sk-env-abcdef", "sk-one-abcdef"].sort());
    registerConfigSecrets(config);
    expect(redact("calling with org-secret-1 and k2-abcdefg; model not-a-secret")).toBe("calling with [redacted] and [redacted]; model not-a-secret");
  });

  it("masks credential shapes nobody registered", () => {
    expect(redact("Authorization: Bearer abc.def.ghi failed")).toBe("Authorization: [redacted] failed");
    expect(redact('{"authorization":"Bearer zzz"}')).toBe('{"authorization":"[redacted]"}');
    expect(redact("via http://bob:hunter22@proxy:3128/")).toBe("via http://bob:[redacted]@proxy:3128/");
    expect(redact("GET https://x.example/v1/models?key=abc123&alt=json")).toBe("GET https://x.example/v1/models?key=[redacted]&alt=json");
    expect(redact("bad sk-proj-AbCdEf123456 here")).toBe("bad [redacted] here");
    expect(redact("http://host:8080/path@x stays")).toBe("http://host:8080/path@x stays");
  });

  it("redacts deep values and leaves short values alone", () => {
    registerConfigSecrets({ api_key: "abc" });
    expect(redact("abc stays: too short to be a key")).toBe("abc stays: too short to be a key");
    registerConfigSecrets({ api_key: "longer-secret-1" });
    expect(redactValue({ a: ["x longer-secret-1 y"], n: 5 })).toEqual({ a: ["x [redacted] y"], n: 5 });
  });
});
