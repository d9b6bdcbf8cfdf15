# Noctis API / worker image. The same image runs every Procfile role; the command picks one.
FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY workers ./workers
COPY migrations ./migrations
COPY models ./models
USER node
EXPOSE 8000
CMD ["npm", "run", "web"]
