import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type KV, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoordinatorLease, LeaseHeldError, type LeaseHolder, type LeaseLostError } from './lease.js';

const NATS_SERVER = process.env.NATS_SERVER_BIN ?? '/usr/sbin/nats-server';
const TTL_MS = 800;

let server: ChildProcess;
let nc: NatsConnection;
let bucket = 0;

/** A fresh bucket per test, with entries expiring TTL_MS after their last write. */
const freshKv = async (): Promise<KV> => (await nc.jetstream().views.kv(`lease-test-${++bucket}`, { ttl: TTL_MS, history: 1 }));
const holder = (id: string, overrides: Partial<LeaseHolder> = {}): LeaseHolder => ({ id, host: hostname(), pid: process.pid, sinceMs: Date.now(), ...overrides });
const never = (error: LeaseLostError) => {
  throw error;
};

beforeAll(async () => {
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
  server = spawn(NATS_SERVER, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', mkdtempSync(join(tmpdir(), 'lrsweep-lease-'))], { stdio: 'ignore' });
  for (let i = 0; ; i++) {
    try {
      nc = await connect({ servers: `127.0.0.1:${port}` });
      break;
    } catch (error) {
      if (i > 50) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
});

afterAll(async () => {
  await nc?.close();
  server?.kill();
});

describe('CoordinatorLease (a real NATS with JetStream)', () => {
  it('one holder at a time: another asked not to wait is told who holds it; a release hands it over at once', async () => {
    const kv = await freshKv();
    const first = await CoordinatorLease.acquire(kv, holder('first'), { ttlMs: TTL_MS, onLost: never });
    // Another live process on this host (our parent's pid): no takeover.
    const refused = await CoordinatorLease.acquire(kv, holder('second', { pid: process.ppid }), { ttlMs: TTL_MS, wait: false, onLost: never }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(LeaseHeldError);
    expect((refused as LeaseHeldError).holder?.id).toBe('first');
    // Renewals keep it past the TTL.
    await new Promise((r) => setTimeout(r, TTL_MS * 2));
    expect(await CoordinatorLease.acquire(kv, holder('third', { pid: process.ppid }), { ttlMs: TTL_MS, wait: false, onLost: never }).catch((e: unknown) => e)).toBeInstanceOf(LeaseHeldError);
    const waiting = CoordinatorLease.acquire(kv, holder('second', { pid: process.ppid }), { ttlMs: TTL_MS, onLost: never });
    await first.release();
    const second = await waiting;
    expect(second.holder.id).toBe('second');
    await second.release();
  });

  it('a holder elsewhere that stops renewing: a standby waits (told who holds it) and takes over after the TTL', async () => {
    const kv = await freshKv();
    // Written once and never renewed, by a coordinator on another host.
    await kv.create('leader', new TextEncoder().encode(JSON.stringify(holder('crashed', { host: 'elsewhere', pid: 1 }))));
    const waits: (string | undefined)[] = [];
    const started = Date.now();
    const lease = await CoordinatorLease.acquire(kv, holder('standby'), { ttlMs: TTL_MS, onWait: (h) => waits.push(h?.id), onLost: never });
    expect(waits).toEqual(['crashed']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(TTL_MS * 0.5);
    await lease.release();
  });

  it('a holder on this host whose process is gone is taken over at once', async () => {
    const kv = await freshKv();
    const gone = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => gone.once('exit', r));
    await kv.create('leader', new TextEncoder().encode(JSON.stringify(holder('dead', { pid: gone.pid! }))));
    const started = Date.now();
    const lease = await CoordinatorLease.acquire(kv, holder('next'), { ttlMs: 60_000, onLost: never });
    expect(Date.now() - started).toBeLessThan(5_000);
    await lease.release();
  });

  it('a holder that finds another in its place is told it lost the lease', async () => {
    const kv = await freshKv();
    const lost = new Promise<LeaseLostError>((resolve) => void CoordinatorLease.acquire(kv, holder('old'), { ttlMs: TTL_MS, onLost: resolve }));
    await new Promise((r) => setTimeout(r, 100));
    // As if it had been cut off past the TTL and another had taken over meanwhile.
    await kv.put('leader', new TextEncoder().encode(JSON.stringify(holder('new', { host: 'elsewhere' }))));
    const error = await lost;
    expect(error.holder).toBe('new');
    expect(error.message).toMatch(/held by new \(elsewhere/);
  });

  it('every holder takes a higher epoch than the ones before it, and keeps it through its renewals', async () => {
    const kv = await freshKv();
    const first = await CoordinatorLease.acquire(kv, holder('e1'), { ttlMs: TTL_MS, onLost: never });
    const epoch = first.epoch;
    expect(epoch).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, TTL_MS * 1.5));
    // Renewed several times (the key's revision moved on), the fencing token did not.
    expect(((await kv.get('leader'))?.revision ?? 0) > epoch).toBe(true);
    expect(first.epoch).toBe(epoch);
    await first.release();
    const second = await CoordinatorLease.acquire(kv, holder('e2'), { ttlMs: TTL_MS, onLost: never });
    expect(second.epoch).toBeGreaterThan(epoch);
    await second.release();
  });

  it('a holder a worker fenced off stops renewing and is told it lost the lease, once', async () => {
    const kv = await freshKv();
    const errors: LeaseLostError[] = [];
    const lease = await CoordinatorLease.acquire(kv, holder('fenced'), { ttlMs: TTL_MS, onLost: (e) => errors.push(e) });
    lease.fenced(lease.epoch + 5);
    lease.fenced(lease.epoch + 6);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(new RegExp(`seen coordinator epoch ${lease.epoch + 5}, above this one's \\(${lease.epoch}\\)`));
    // No renewal any more: the key lapses after the TTL, and another takes it without waiting for a release.
    const started = Date.now();
    const next = await CoordinatorLease.acquire(kv, holder('after', { host: 'elsewhere' }), { ttlMs: TTL_MS, onLost: never });
    expect(Date.now() - started).toBeLessThan(TTL_MS * 4);
    expect(next.epoch).toBeGreaterThan(lease.epoch);
    await next.release();
  });

  it('a holder whose key lapsed and that nobody took takes it again at a new epoch, and says so', async () => {
    const kv = await freshKv();
    const retaken: number[] = [];
    const lease = await CoordinatorLease.acquire(kv, holder('lapsed'), { ttlMs: TTL_MS, onLost: never, onRetaken: (epoch) => retaken.push(epoch) });
    const before = lease.epoch;
    // As if the key had expired while this holder was cut off: gone, and nobody else took it.
    await kv.delete('leader');
    for (let i = 0; i < 40 && retaken.length === 0; i++) await new Promise((r) => setTimeout(r, TTL_MS / 8));
    expect(retaken).toHaveLength(1);
    expect(retaken[0]).toBeGreaterThan(before);
    expect(lease.epoch).toBe(retaken[0]);
    // It renews the key it took again, and the epoch stays.
    await new Promise((r) => setTimeout(r, TTL_MS * 1.5));
    expect(lease.epoch).toBe(retaken[0]);
    expect(await CoordinatorLease.acquire(kv, holder('other', { host: 'elsewhere' }), { ttlMs: TTL_MS, wait: false, onLost: never }).catch((e: unknown) => e)).toBeInstanceOf(LeaseHeldError);
    await lease.release();
  });
});
