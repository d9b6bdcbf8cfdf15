import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { components, operations, paths } from './schema.js';

export type { components, operations, paths };
/** The response and request bodies by name, e.g. `Schemas['Summary']`. */
export type Schemas = components['schemas'];
export type NoctisClient = Client<paths>;

/**
 * A typed client of the Noctis API: `client.GET('/v1/recordings/{id}/summary', { params: { path: { id } } })`
 * answers `{ data, error, response }` with `data` typed by the route's success schema and `error` by
 * the shared Error body. Every request carries `apiKey` as its bearer token.
 */
export function createNoctisClient(baseUrl: string, apiKey: string, options: Omit<ClientOptions, 'baseUrl' | 'headers'> = {}): NoctisClient {
  return createClient<paths>({ ...options, baseUrl, headers: { authorization: `Bearer ${apiKey}` } });
}
