# Switchboard gateway image: Node 24 on Debian slim, non-root, state in a volume.
# No `# syntax=` line: the classic builder and BuildKit both build this offline
# (given the base image), with no frontend image to pull.
#
#   docker build -t switchboard .
#   docker run -d --name switchboard --stop-timeout 45 -p 127.0.0.1:18790:18790 \
#     -e SWITCHBOARD_GATEWAY_TOKEN=$(openssl rand -hex 24) -v switchboard-data:/data switchboard

FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# npm ci runs `prepare` (scripts/prepare.js); without rolldown (dev) it builds nothing
COPY scripts ./scripts
# Production dependencies only. The `node` package (Node 24 for installs on an
# older system Node) is dropped again: this image's own Node 24 runs the gateway.
RUN npm ci --omit=dev --no-audit --no-fund \
 && rm -rf node_modules/node node_modules/.bin/node \
 && npm cache clean --force

# The bundle (dist/, scripts/build.ts): a start loads about a hundred files instead
# of ~1,400. Built with the dev dependencies (rolldown), which stay in this stage.
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts ./scripts
RUN npm ci --no-audit --no-fund
COPY bin ./bin
COPY src ./src
COPY channels ./channels
RUN node scripts/build.ts

FROM node:24-slim
# tini is PID 1: it forwards docker stop's SIGTERM to the gateway and reaps
# the processes cron's shell jobs leave behind.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
# MALLOC_ARENA_MAX, MALLOC_TRIM_THRESHOLD_ and MALLOC_MMAP_THRESHOLD_ here and the Node flags in ENTRYPOINT are the memory settings of src/cli/service.ts
# (MEMORY_ENV, MEMORY_NODE_FLAGS): a smaller footprint idle and after a burst (bench/README.md)
ENV NODE_ENV=production \
    MALLOC_ARENA_MAX=2 \
    MALLOC_TRIM_THRESHOLD_=131072 \
    MALLOC_MMAP_THRESHOLD_=8192 \
    SWITCHBOARD_HOME=/data \
    SWITCHBOARD_LOG_FORMAT=json \
    SWITCHBOARD_GATEWAY_HOST=0.0.0.0 \
    SWITCHBOARD_GATEWAY_PORT=18790
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
# the sources and the lockfile come from the build stage: dist/build.json names
# them with the sizes and times they had when it was built (bin/bundle.js)
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/bin ./bin
COPY --from=build /app/src ./src
COPY --from=build /app/channels ./channels
COPY --from=build /app/dist ./dist
COPY config ./config
# `switchboard …` works in `docker exec` (status, logs, pairing approve, backup)
RUN chmod 0755 bin/switchboard.js \
 && ln -s /app/bin/switchboard.js /usr/local/bin/switchboard \
 && mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
# The API listens on 0.0.0.0 inside the container, which the gateway allows
# only with a token: without SWITCHBOARD_GATEWAY_TOKEN (or gateway.token) it
# refuses to start and says so.
EXPOSE 18790
# Healthy = the gateway runs and every enabled channel is online. The check
# finds the gateway through /data/state/gateway.json, so it follows whatever
# port the config or SWITCHBOARD_GATEWAY_PORT chose.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
  CMD ["switchboard", "status", "--ready"]
# docker stop sends SIGTERM; running turns get 30 s (--shutdown-timeout), so
# give the container more than Docker's default 10 s: --stop-timeout 45, or
# stop_grace_period in compose.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--", "node", "--max-semi-space-size=2", "--max-old-space-size=512", "/app/bin/switchboard.js"]
CMD ["gateway", "--shutdown-timeout", "30"]
