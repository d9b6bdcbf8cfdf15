import { z } from 'zod';
import { SCOPES } from './scopes.js';

const Iso = z.iso.datetime();

/** A key as listed: never the key itself nor its hash. */
export const ApiKey = z.strictObject({
  id: z.uuid(),
  tenant: z.string(),
  name: z.string().nullable(),
  scopes: z.array(z.enum(SCOPES)),
  key_prefix: z.string().describe('the first characters of the key, to recognise it'),
  created_at: Iso,
  revoked_at: Iso.nullable(),
  expires_at: Iso.nullable(),
  last_used_at: Iso.nullable().describe('updated at most once a minute'),
});

export const CreatedApiKey = ApiKey.extend({ key: z.string().describe('the secret: shown once, only its hash is stored') });

export const ApiKeyList = z.strictObject({ items: z.array(ApiKey).describe('oldest first') });
