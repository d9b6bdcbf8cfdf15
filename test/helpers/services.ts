import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SHIPPED_MODELS_DIR = path.join(REPO_ROOT, 'models');

/** The server integration tests create their databases on (operators point it at TimescaleDB). */
export const TEST_SERVER_URL =
  process.env['INTEGRATION_TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env['INTEGRATION_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379/0';

/** The operator token every test app accepts; request() sends it unless told otherwise. */
export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';
export const adminAuth = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };

export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

export function databaseUrl(server: string, name: string): string {
  const url = new URL(server);
  url.pathname = `/${name}`;
  return url.toString();
}
