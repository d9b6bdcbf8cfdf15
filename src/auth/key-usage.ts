import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import type { Logger } from '../logging/logger.js';
import { touchApiKey, type ApiKeyRecord } from './api-keys.repository.js';

const MINUTE_MS = 60_000;

/**
 * Keeps `api_keys.last_used_at` to the minute without a write per request: a key whose stored
 * time is under a minute old, or that this process touched within the minute, costs nothing; the
 * write itself is not awaited, so a request never waits for it.
 */
export class KeyUsage {
  private readonly touched = new Map<string, number>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly logger: Logger,
  ) {}

  seen(key: ApiKeyRecord, now = Date.now()): void {
    if (key.last_used_at && now - key.last_used_at.getTime() < MINUTE_MS) return;
    if (now - (this.touched.get(key.id) ?? -Infinity) < MINUTE_MS) return;
    this.touched.set(key.id, now);
    if (this.touched.size > 100_000) this.touched.clear();
    touchApiKey(this.db, key.id).catch((err: unknown) => this.logger.debug({ err, keyId: key.id }, 'could not record the key use'));
  }
}
