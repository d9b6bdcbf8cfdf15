# Noctis API / worker image: the compiled JavaScript (npm run build) under tini. The same image runs
# every Procfile role; the command picks one (docker-compose.yml: release, api, worker).

# deps: every dependency, for the TypeScript build.
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

# build: dist/ (the same tsc -b the tests build), then node_modules without dev dependencies.
FROM deps AS build
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY workers ./workers
COPY migrations ./migrations
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# runtime: node, tini, production node_modules, dist/ and the shipped models; no npm, no tsx, no
# sources. Files stay root-owned: the app (user node) can read its code but not change it.
FROM node:24-bookworm-slim AS runtime
# tini is PID 1: it forwards SIGTERM to node (which drains) and reaps orphans. Node as PID 1 would get
# no default signal actions (a SIGTERM before its handlers are installed would be ignored).
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/* \
  && rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
    /opt/yarn-* /usr/local/bin/yarn /usr/local/bin/yarnpkg
WORKDIR /app
ENV NODE_ENV=production
COPY package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY models ./models
USER node
EXPOSE 8000
ENTRYPOINT ["tini", "--"]
CMD ["node", "dist/src/entry/web.js"]
