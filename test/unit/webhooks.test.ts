import { describe, expect, it } from 'vitest';
import { eventLinks } from '../../src/webhooks/webhook-body.js';
import { decryptSecret, encryptSecret, newSigningSecret, sign, verify } from '../../src/webhooks/webhook-crypto.js';
import { deliveryAttempts } from '../../src/webhooks/webhook-dispatcher.js';
import { BlockedAddressError, guardedLookup, isPrivateAddress } from '../../src/webhooks/ssrf-guard.js';

describe('private address ranges', () => {
  it.each([
    ['127.0.0.1', true], ['10.0.0.1', true], ['172.16.5.4', true], ['172.32.0.1', false], ['192.168.1.1', true], ['169.254.169.254', true],
    ['100.64.0.1', true], ['0.0.0.0', true], ['224.0.0.1', true], ['8.8.8.8', false], ['93.184.216.34', false],
    ['::1', true], ['::', true], ['fe80::1', true], ['fd00::1', true], ['::ffff:127.0.0.1', true], ['::ffff:8.8.8.8', false], ['2606:4700::1111', false], ['not-an-ip', true],
    // IPv6 forms carrying an IPv4 address: IPv4-compatible, IPv4-translated, local NAT64, discard, Teredo, 6to4.
    ['::127.0.0.1', true], ['::7f00:1', true], ['::ffff:0:7f00:1', true], ['64:ff9b:1::a00:1', true], ['100::1', true], ['2001:0:4136:e378:8000:63bf:80ff:fffe', true], ['2002:7f00:1::', true], ['2002:a00:1::1', true],
    ['2001:4860:4860::8888', false], ['2a00:1450:4001::1', false],
  ])('%s → %s', (address, expected) => {
    expect(isPrivateAddress(address)).toBe(expected);
  });

  it('refuses a name that resolves to loopback when resolving for the connection itself', async () => {
    const lookup = guardedLookup(false);
    const err = await new Promise<unknown>((resolve) => lookup('localhost', {}, (e) => resolve(e)));
    expect(err).toBeInstanceOf(BlockedAddressError);
    const allowed = await new Promise<unknown>((resolve) => guardedLookup(true)('localhost', {}, (e, address) => resolve(e ?? address)));
    expect(typeof allowed).toBe('string');
  });
});

describe('secrets and signatures', () => {
  const key = Buffer.alloc(32, 7);

  it('encrypts secrets with AES-256-GCM: fresh IV each time, tampering detected', () => {
    const secret = newSigningSecret();
    const a = encryptSecret(key, secret);
    const b = encryptSecret(key, secret);
    expect(a.equals(b)).toBe(false);
    expect(a.includes(Buffer.from(secret))).toBe(false);
    expect(decryptSecret(key, a)).toBe(secret);
    const tampered = Buffer.from(a);
    tampered[tampered.length - 1]! ^= 1;
    expect(() => decryptSecret(key, tampered)).toThrow();
    expect(() => decryptSecret(Buffer.alloc(32, 8), a)).toThrow();
  });

  it('signs timestamp and body; verification rejects other bodies, secrets and stale timestamps', () => {
    const signature = sign('whsec_x', 1_700_000_000, '{"a":1}');
    expect(signature).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(verify('whsec_x', 1_700_000_000, '{"a":1}', signature, 1_700_000_100)).toBe(true);
    expect(verify('whsec_x', 1_700_000_000, '{"a":2}', signature, 1_700_000_100)).toBe(false);
    expect(verify('whsec_y', 1_700_000_000, '{"a":1}', signature, 1_700_000_100)).toBe(false);
    expect(verify('whsec_x', 1_700_000_000, '{"a":1}', signature, 1_700_000_301)).toBe(false);
  });
});

describe('delivery schedule and links', () => {
  it('retries with exponential backoff for at least the configured window', () => {
    const total = (n: number, backoff: number) => backoff * (2 ** (n - 1) - 1);
    expect(deliveryAttempts(86400, 1000)).toBe(18);
    expect(total(deliveryAttempts(86400, 1000), 1000)).toBeGreaterThanOrEqual(86400 * 1000);
    expect(total(deliveryAttempts(86400, 1000) - 1, 1000)).toBeLessThan(86400 * 1000);
    expect(total(deliveryAttempts(2, 100), 100)).toBeGreaterThanOrEqual(2000);
  });

  it('links the resources an event names', () => {
    expect(eventLinks('https://n.example/', { job_id: 'j', recording_id: 'r', device_id: 'd', date: '2026-12-31' })).toEqual({
      job: 'https://n.example/v1/jobs/j',
      recording: 'https://n.example/v1/recordings/r',
      summary: 'https://n.example/v1/recordings/r/summary',
      nights: 'https://n.example/v1/devices/d/nights?from=2026-12-31&to=2027-01-01',
    });
  });
});

describe('the delivery connection itself', () => {
  it('never connects to a private address unless allowed, whether named or literal', async () => {
    const http = await import('node:http');
    const { postJson } = await import('../../src/webhooks/webhook-http.js');
    let hits = 0;
    const server = http.createServer((_req, res) => {
      hits++;
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      // "localhost" stands for any name whose DNS answer turns private after registration.
      await expect(postJson(`http://localhost:${port}/`, '{}', {}, { timeoutMs: 2000, allowPrivate: false })).rejects.toBeInstanceOf(BlockedAddressError);
      await expect(postJson(`http://127.0.0.1:${port}/`, '{}', {}, { timeoutMs: 2000, allowPrivate: false })).rejects.toBeInstanceOf(BlockedAddressError);
      expect(hits).toBe(0);
      expect(await postJson(`http://127.0.0.1:${port}/`, '{}', {}, { timeoutMs: 2000, allowPrivate: true })).toBe(200);
      expect(hits).toBe(1);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('gives up on a receiver that does not answer within the timeout', async () => {
    const http = await import('node:http');
    const { postJson } = await import('../../src/webhooks/webhook-http.js');
    const server = http.createServer(() => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const started = Date.now();
      await expect(postJson(`http://127.0.0.1:${port}/`, '{}', {}, { timeoutMs: 300, allowPrivate: true })).rejects.toThrow(/no answer within 300 ms/);
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
