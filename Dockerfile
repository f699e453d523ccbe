# syntax=docker/dockerfile:1
#
# One image for every role: `docker run cambio start --role write-api` (or read-api,
# projector, notifier; `start` alone runs every role in one process on SQLite files in /data).
# The image runs the JavaScript `npm run build` emits, with production dependencies only:
# no TypeScript transpiler at runtime.

# Production dependencies. better-sqlite3 is a native addon: when no prebuilt binary matches,
# npm compiles it here, so the toolchain stays in this stage and never reaches the runtime image.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# TypeScript → dist/, and the web console's bundle (esbuild, preact: development
# dependencies). The compiler and the bundler only read sources, so native addons need not
# build here.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    CAMBIO_DATA_DIR=/data
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
# package.json makes dist/*.js ES modules. Code stays owned by root: the service user can read
# it but not change it.
COPY package.json ./
COPY --from=build /app/dist ./dist
# The console's bundle sits where the compiled server looks for it (dist/console/dist).
COPY --from=build /app/console/dist ./dist/console/dist
# Created here, owned by the service user, so a fresh named volume mounted on it inherits that.
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.PORT + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/infra/cli/main.js"]
CMD ["start"]
