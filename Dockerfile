# syntax=docker/dockerfile:1
# Switchboard gateway image: Node 24 on Debian slim, non-root, state in a volume.

FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only; the image's own Node 24 runs the sources.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:24-slim
ENV NODE_ENV=production \
    SWITCHBOARD_HOME=/data \
    SWITCHBOARD_LOG_FORMAT=json
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY src ./src
COPY channels ./channels
COPY config ./config
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 18790
# /health answers as soon as the HTTP server is up; /ready also needs every channel online.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.SWITCHBOARD_GATEWAY_PORT||18790)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "bin/switchboard.js"]
CMD ["gateway"]
