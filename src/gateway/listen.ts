// Where the HTTP server binds: gateway.host/port/token from the config, with
// SWITCHBOARD_GATEWAY_HOST, _PORT and _TOKEN overriding them (Docker, systemd).
export interface GatewayListenConfig {
  host?: string;
  port?: number;
  token?: string;
}

export const DEFAULT_GATEWAY_HOST = "127.0.0.1";
export const DEFAULT_GATEWAY_PORT = 18790;

export function gatewayListen(cfg: GatewayListenConfig | undefined, env: NodeJS.ProcessEnv): { host: string; port: number; token?: string } {
  const host = env.SWITCHBOARD_GATEWAY_HOST?.trim() || cfg?.host || DEFAULT_GATEWAY_HOST;
  const rawPort = env.SWITCHBOARD_GATEWAY_PORT?.trim();
  const port = rawPort !== undefined && rawPort !== "" ? Number(rawPort) : (cfg?.port ?? DEFAULT_GATEWAY_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`SWITCHBOARD_GATEWAY_PORT must be a port number (0-65535), not ${JSON.stringify(rawPort)}`);
  }
  const token = env.SWITCHBOARD_GATEWAY_TOKEN?.trim() || cfg?.token || undefined;
  return { host, port, ...(token ? { token } : {}) };
}
