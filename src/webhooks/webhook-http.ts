import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { BlockedAddressError, guardedLookup, isPrivateAddress } from './ssrf-guard.js';

export interface PostOptions {
  readonly timeoutMs: number;
  readonly allowPrivate: boolean;
}

/**
 * POSTs `body` and resolves with the status code (the response body is read and dropped, at most
 * 64 KiB). Names go through guardedLookup, so the socket connects only to an address that passed
 * the private-range check; literal addresses are checked here (Node does not look them up).
 * Redirects are not followed: a 3xx is an answer like any other non-2xx.
 */
export function postJson(target: string, body: string, headers: Record<string, string>, options: PostOptions): Promise<number> {
  const url = new URL(target);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) && !options.allowPrivate && isPrivateAddress(host)) return Promise.reject(new BlockedAddressError(host, host));
  const client = url.protocol === 'https:' ? https : http;
  return new Promise<number>((resolve, reject) => {
    const req = client.request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        lookup: guardedLookup(options.allowPrivate) as never,
        timeout: options.timeoutMs,
        agent: false,
      },
      (res) => {
        let seen = 0;
        res.on('data', (chunk: Buffer) => {
          seen += chunk.length;
          if (seen > 65_536) res.destroy();
        });
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('close', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(res.statusCode ?? 0));
      },
    );
    // The whole exchange, not just idle time, is bounded: a receiver trickling bytes is cut too.
    const deadline = setTimeout(() => req.destroy(new Error(`no answer within ${options.timeoutMs} ms`)), options.timeoutMs);
    req.on('timeout', () => req.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
    req.on('error', reject);
    req.on('close', () => clearTimeout(deadline));
    req.end(body);
  });
}
