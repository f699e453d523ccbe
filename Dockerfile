# syntax=docker/dockerfile:1
#
# One image for every role: `docker run cambio start --role write-api` (or read-api,
# projector, notifier; `start` alone runs every role in one process on SQLite files in /data).

FROM node:20-bookworm-slim AS deps
WORKDIR /app
# better-sqlite3 is a native addon: when no prebuilt binary matches, npm compiles it here,
# so the toolchain stays in this stage and never reaches the runtime image.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# tsx is a runtime dependency: bin/cambio.js runs the TypeScript sources through it.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# The web console is bundled here with the development dependencies (esbuild, preact); the
# runtime image gets the bundle only. No install scripts: nothing native is needed to bundle.
FROM node:20-bookworm-slim AS console
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY console ./console
COPY domain ./domain
RUN node --import tsx console/build.ts

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    CAMBIO_DATA_DIR=/data
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
# Sources stay owned by root: the service user can read the code but not change it.
COPY . .
COPY --from=console /app/console/dist ./console/dist
# Created here, owned by the service user, so a fresh named volume mounted on it inherits that.
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.PORT + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "bin/cambio.js"]
CMD ["start"]
