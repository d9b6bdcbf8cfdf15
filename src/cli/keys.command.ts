import { z } from 'zod';
import { CLI_ACTOR, recordAudit } from '../audit/audit.repository.js';
import { keyCreated, keyRevoked } from '../auth/api-keys.audit.js';
import { createApiKey, listApiKeys, revokeApiKey } from '../auth/api-keys.repository.js';
import { TenantName } from '../auth/api-keys.routes.js';
import { SCOPES, type Scope } from '../auth/scopes.js';
import { createDb } from '../db/connection.js';
import { isUuid } from '../http/params.js';
import { IsoTimestamp } from '../http/query.js';
import { parseCommandArgs, UsageError, type CliCommand } from './command.js';

const HELP = `Usage: npm run cli -- keys <create|list|revoke> [options]

  keys create --tenant <name> --scopes <ingest,read,admin,operator> [--name <text>] [--expires-at <iso time>]
      prints the new key once (only its hash is stored), then its id; past --expires-at it answers 401
  keys list --tenant <name>
  keys revoke --id <key id>
`;

function parse(argv: readonly string[]) {
  return parseCommandArgs(argv, {
    tenant: { type: 'string' },
    scopes: { type: 'string' },
    name: { type: 'string' },
    id: { type: 'string' },
    'expires-at': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  }, true);
}

function parseScopes(text: string | undefined): Scope[] {
  if (!text) throw new UsageError('--scopes is required (comma-separated: ingest, read, admin, operator)');
  const scopes = text.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
  if (bad.length > 0 || scopes.length === 0) throw new UsageError(`unknown scope ${bad.join(', ') || '(none)'}; use ${SCOPES.join(', ')}`);
  return [...new Set(scopes)] as Scope[];
}

function parseExpiry(text: string | undefined): Date | null {
  if (text === undefined) return null;
  const parsed = IsoTimestamp.safeParse(text);
  if (!parsed.success) throw new UsageError(`--expires-at: an ISO 8601 time with a zone, e.g. 2027-01-01T00:00:00Z (got ${JSON.stringify(text)})`);
  const at = new Date(parsed.data);
  if (at.getTime() <= Date.now()) throw new UsageError(`--expires-at: ${text} is not in the future`);
  return at;
}

function parseTenant(text: string | undefined): string {
  if (text === undefined) throw new UsageError('--tenant <name> is required');
  const parsed = TenantName.safeParse(text);
  if (!parsed.success) throw new UsageError(`--tenant: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

export const keysCommand: CliCommand = {
  summary: 'create, list or revoke API keys (keys create --tenant <name> --scopes ingest,read)',
  async run(argv, runtime) {
    const { values, positionals } = parse(argv);
    const action = positionals[0];
    if (values.help || action === undefined) {
      runtime.stdout.write(HELP);
      return values.help ? 0 : 2;
    }
    const handle = createDb(runtime.config.DATABASE_URL, 1);
    try {
      if (action === 'create') {
        const tenant = parseTenant(values.tenant);
        const scopes = parseScopes(values.scopes);
        const expiresAt = parseExpiry(values['expires-at']);
        const { record, key } = await handle.db.transaction().execute(async (trx) => {
          const created = await createApiKey(trx, { tenant, scopes, name: values.name, expiresAt });
          await recordAudit(trx, keyCreated(created.record, CLI_ACTOR));
          return created;
        });
        runtime.stdout.write(`${key}\n`);
        const until = expiresAt ? `, expiring at ${expiresAt.toISOString()}` : '';
        runtime.stderr.write(`created key ${record.id} for tenant ${tenant} with scopes ${scopes.join(',')}${until}; it is shown only once\n`);
        return 0;
      }
      if (action === 'list') {
        for (const k of await listApiKeys(handle.db, parseTenant(values.tenant))) {
          const state = k.revoked_at ? 'revoked' : k.expires_at && k.expires_at.getTime() <= Date.now() ? 'expired' : 'active';
          const times = `expires ${k.expires_at?.toISOString() ?? 'never'}\tlast used ${k.last_used_at?.toISOString() ?? 'never'}`;
          runtime.stdout.write(`${k.id}\t${k.key_prefix}…\t${k.scopes.join(',')}\t${state}\t${times}\t${k.name ?? ''}\n`);
        }
        return 0;
      }
      if (action === 'revoke') {
        if (values.id === undefined) throw new UsageError('--id <key id> is required');
        if (!isUuid(values.id)) throw new UsageError(`--id: ${JSON.stringify(String(values.id).slice(0, 100))} is not a key id (the UUID \`keys list\` shows)`);
        const id = values.id;
        const revoked = await handle.db.transaction().execute(async (trx) => {
          const record = await revokeApiKey(trx, id, null);
          if (record) await recordAudit(trx, keyRevoked(record, CLI_ACTOR));
          return record;
        });
        if (!revoked) {
          runtime.stderr.write(`no active key ${values.id}\n`);
          return 1;
        }
        runtime.stdout.write(`revoked ${values.id}\n`);
        return 0;
      }
      throw new UsageError(`unknown action "${action}"; use create, list or revoke`);
    } finally {
      await handle.db.destroy();
    }
  },
};
