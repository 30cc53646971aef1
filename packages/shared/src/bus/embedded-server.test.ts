import { randomBytes } from 'node:crypto';
import { connect as tcpConnect } from 'node:net';
import type { Socket } from 'node:net';
import { connect, headers } from 'nats';
import type { Msg, NatsConnection, NatsError, Subscription } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedNatsServer } from './embedded-server.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Collects `n` messages from a subscription with `for await`, failing after `ms`. */
async function take(sub: Subscription, n: number, ms = 5000): Promise<Msg[]> {
  const out: Msg[] = [];
  const timer = setTimeout(() => sub.unsubscribe(), ms);
  try {
    for await (const m of sub) {
      out.push(m);
      if (out.length === n) break;
    }
  } finally {
    clearTimeout(timer);
  }
  if (out.length < n) throw new Error(`got ${out.length} of ${n} messages on ${sub.getSubject()}`);
  return out;
}

/** A raw TCP client that records everything the server sends. */
interface RawClient {
  readonly socket: Socket;
  text(): string;
  /** Resolves once `needle` was received at or after offset `from` of `text()`. */
  waitFor(needle: string, from?: number): Promise<void>;
  readonly closed: Promise<void>;
}

async function rawConnect(port: number): Promise<RawClient> {
  const socket = tcpConnect(port, '127.0.0.1');
  let received = '';
  const waiters = new Set<() => void>();
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('latin1');
    for (const w of waiters) w();
  });
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const client: RawClient = {
    socket,
    closed,
    text: () => received,
    waitFor: (needle, from = 0) =>
      new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (!received.includes(needle, from)) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no ${JSON.stringify(needle)} in ${JSON.stringify(received.slice(0, 500))}`));
        }, 3000);
        waiters.add(check);
        check();
      }),
  };
  await client.waitFor('INFO ');
  return client;
}

const withTimeout = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`timed out: ${what}`)), ms).unref())]);

describe('EmbeddedNatsServer with the nats client', () => {
  let server: EmbeddedNatsServer;
  let a: NatsConnection;
  let b: NatsConnection;

  beforeAll(async () => {
    server = await EmbeddedNatsServer.start();
    a = await connect({ servers: server.url, name: 'a' });
    b = await connect({ servers: server.url, name: 'b' });
  });

  afterAll(async () => {
    await a.close();
    await b.close();
    await server.close();
  });

  it('listens on an ephemeral loopback port and sends INFO', () => {
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`nats://127.0.0.1:${server.port}`);
    expect(a.info?.version).toBe('2.10.0');
    expect(a.info?.headers).toBe(true);
    expect(a.info?.max_payload).toBe(1024 * 1024);
    expect(server.stats().connections).toBe(2);
  });

  it('delivers published messages to a for-await subscriber', async () => {
    const sub = a.subscribe('greet.hello');
    await a.flush();
    for (const word of ['one', 'two', 'three']) b.publish('greet.hello', enc.encode(word));
    const msgs = await take(sub, 3);
    expect(msgs.map((m) => dec.decode(m.data))).toEqual(['one', 'two', 'three']);
    expect(msgs[0]?.subject).toBe('greet.hello');
  });

  it('matches * (one token) and > (one or more tokens), and only those', async () => {
    const got: Record<string, string[]> = { star: [], tail: [], literal: [], mid: [] };
    const record = (key: string) => (_err: NatsError | null, m: Msg) => got[key]?.push(m.subject);
    a.subscribe('w.*', { callback: record('star') });
    a.subscribe('w.>', { callback: record('tail') });
    a.subscribe('w.x.y', { callback: record('literal') });
    a.subscribe('w.*.y', { callback: record('mid') });
    await a.flush();
    for (const s of ['w.x', 'w.x.y', 'w.x.y.z', 'w', 'other.x', 'w.q.y', 'ww.x']) b.publish(s);
    await b.flush();
    await a.flush();
    expect(got).toEqual({
      star: ['w.x'],
      tail: ['w.x', 'w.x.y', 'w.x.y.z', 'w.q.y'],
      literal: ['w.x.y'],
      mid: ['w.x.y', 'w.q.y'],
    });
  });

  it('gives each message to exactly one member of a queue group, and to every plain subscriber', async () => {
    let inA = 0;
    let inB = 0;
    let plain = 0;
    const seen = new Map<string, number>();
    const count = (m: Msg): void => void seen.set(dec.decode(m.data), (seen.get(dec.decode(m.data)) ?? 0) + 1);
    a.subscribe('jobs', { queue: 'workers', callback: (_e, m) => (inA++, count(m)) });
    b.subscribe('jobs', { queue: 'workers', callback: (_e, m) => (inB++, count(m)) });
    a.subscribe('jobs', { callback: () => plain++ });
    await a.flush();
    await b.flush();
    for (let i = 0; i < 200; i++) b.publish('jobs', enc.encode(String(i)));
    await b.flush();
    await a.flush();
    expect(inA + inB).toBe(200);
    expect(inA).toBeGreaterThan(0);
    expect(inB).toBeGreaterThan(0);
    expect(seen.size).toBe(200);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    expect(plain).toBe(200);
  });

  it('round-trips headers', async () => {
    const sub = a.subscribe('with.headers');
    await a.flush();
    const h = headers();
    h.set('X-Trace', 'abc-123');
    h.append('X-Multi', 'one');
    h.append('X-Multi', 'two');
    b.publish('with.headers', enc.encode('body'), { headers: h });
    const [m] = await take(sub, 1);
    expect(m?.headers?.get('X-Trace')).toBe('abc-123');
    expect(m?.headers?.values('X-Multi')).toEqual(['one', 'two']);
    expect(dec.decode(m?.data)).toBe('body');
  });

  it('supports request/reply, and answers no-responders at once', async () => {
    a.subscribe('svc.upper', { callback: (_e, m) => m.respond(enc.encode(dec.decode(m.data).toUpperCase())) });
    await a.flush();
    const reply = await b.request('svc.upper', enc.encode('hello'), { timeout: 2000 });
    expect(dec.decode(reply.data)).toBe('HELLO');
    const replies = await Promise.all([1, 2, 3].map((i) => b.request('svc.upper', enc.encode(`r${i}`), { timeout: 2000 })));
    expect(replies.map((r) => dec.decode(r.data))).toEqual(['R1', 'R2', 'R3']);
    const started = Date.now();
    await expect(b.request('svc.nobody', enc.encode('?'), { timeout: 5000 })).rejects.toMatchObject({ code: '503' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('auto-unsubscribes after max messages (unsubscribe(2)), also on the server', async () => {
    const before = server.stats().subscriptions;
    const sub = a.subscribe('limited');
    sub.unsubscribe(2);
    await a.flush();
    expect(server.stats().subscriptions).toBe(before + 1);
    for (let i = 0; i < 5; i++) b.publish('limited', enc.encode(String(i)));
    const got: string[] = [];
    for await (const m of sub) got.push(dec.decode(m.data)); // ends by itself after 2
    expect(got).toEqual(['0', '1']);
    await b.flush();
    await a.flush();
    expect(server.stats().subscriptions).toBe(before);
  });

  it('carries a 200 KB binary payload intact', async () => {
    const payload = randomBytes(200 * 1024);
    payload.write('\r\nPUB x 1\r\n', 1000, 'latin1'); // protocol-looking bytes inside the payload
    const sub = a.subscribe('blob');
    await a.flush();
    b.publish('blob', payload);
    const [m] = await take(sub, 1);
    expect(m?.data.length).toBe(payload.length);
    expect(Buffer.from(m!.data).equals(payload)).toBe(true);
  });

  it('rejects a payload over maxPayload and stays up for other clients', async () => {
    // The nats client refuses locally, because INFO announced max_payload.
    expect(() => b.publish('big', new Uint8Array(1024 * 1024 + 1))).toThrow(/MAX_PAYLOAD_EXCEEDED/);
    // A client that ignores the limit gets -ERR and is disconnected.
    const raw = await rawConnect(server.port);
    raw.socket.write('CONNECT {"verbose":false}\r\nPUB big 2000000\r\n');
    raw.socket.write(Buffer.alloc(64 * 1024));
    await raw.waitFor("-ERR 'Maximum Payload Violation'");
    await withTimeout(raw.closed, 3000, 'server closes the violating connection');
    // Everyone else carries on.
    const reply = await b.request('svc.upper', enc.encode('still here'), { timeout: 2000 });
    expect(dec.decode(reply.data)).toBe('STILL HERE');
    expect(a.isClosed() || b.isClosed()).toBe(false);
  });

  it('delivers 20,000 small messages complete and in order', async () => {
    const n = 20_000;
    const sub = b.subscribe('stream.seq');
    await b.flush();
    const started = performance.now();
    const received = (async () => {
      let expected = 0;
      for await (const m of sub) {
        const seq = new DataView(m.data.buffer, m.data.byteOffset, 4).getUint32(0);
        if (seq !== expected) throw new Error(`out of order: got ${seq}, expected ${expected}`);
        expected++;
        if (expected === n) break;
      }
      return expected;
    })();
    for (let i = 0; i < n; i++) {
      const payload = new Uint8Array(16); // the client keeps a reference until it writes: no reuse
      new DataView(payload.buffer).setUint32(0, i);
      a.publish('stream.seq', payload);
    }
    await a.flush();
    expect(await withTimeout(received, 30_000, '20,000 messages')).toBe(n);
    const seconds = (performance.now() - started) / 1000;
    console.log(`embedded NATS: ${n} messages of 16 bytes in ${(seconds * 1000).toFixed(0)} ms = ${Math.round(n / seconds)} msg/s`);
  });

  it('connects two clients through the server, both ways', async () => {
    const toB = b.subscribe('chat.b');
    const toA = a.subscribe('chat.a');
    await Promise.all([a.flush(), b.flush()]);
    a.publish('chat.b', enc.encode('hi b'));
    b.publish('chat.a', enc.encode('hi a'));
    const [[mb], [ma]] = await Promise.all([take(toB, 1), take(toA, 1)]);
    expect(dec.decode(mb?.data)).toBe('hi b');
    expect(dec.decode(ma?.data)).toBe('hi a');
  });

  it('removes the subscriptions of a client that disconnects', async () => {
    await Promise.all([a.flush(), b.flush()]); // UNSUBs of earlier tests reach the server first
    const before = server.stats().subscriptions;
    const c = await connect({ servers: server.url });
    c.subscribe('gone.one');
    c.subscribe('gone.>');
    await c.flush();
    expect(server.stats().subscriptions).toBe(before + 2);
    await c.close();
    await withTimeout(
      (async () => {
        while (server.stats().subscriptions !== before) await new Promise((r) => setTimeout(r, 10));
      })(),
      3000,
      'subscriptions removed',
    );
    expect(server.stats().connections).toBe(2);
  });
});

describe('EmbeddedNatsServer with raw sockets', () => {
  let server: EmbeddedNatsServer;

  beforeAll(async () => {
    server = await EmbeddedNatsServer.start({ maxPayload: 4096 });
  });

  afterAll(async () => {
    await server.close();
  });

  it('answers garbage with -ERR, closes that connection, and keeps serving', async () => {
    const raw = await rawConnect(server.port);
    raw.socket.write(Buffer.concat([Buffer.from('HELLO WORLD '), randomBytes(100), Buffer.from('\r\n')]));
    await raw.waitFor("-ERR 'Unknown Protocol Operation'");
    await withTimeout(raw.closed, 3000, 'garbage connection closed');

    const endless = await rawConnect(server.port); // no newline ever: control line limit
    endless.socket.write(Buffer.alloc(10_000, 0x41));
    await endless.waitFor('-ERR');
    await withTimeout(endless.closed, 3000, 'endless line closed');

    const bad = await rawConnect(server.port);
    bad.socket.write('PUB foo notanumber\r\n');
    await bad.waitFor("-ERR 'Unknown Protocol Operation'");
    await withTimeout(bad.closed, 3000, 'bad PUB closed');

    const nc = await connect({ servers: server.url });
    const sub = nc.subscribe('alive');
    nc.publish('alive', enc.encode('yes'));
    const [m] = await take(sub, 1);
    expect(dec.decode(m?.data)).toBe('yes');
    await nc.close();
  });

  it('parses messages split across chunks and many messages per chunk, with verbose +OK', async () => {
    const raw = await rawConnect(server.port);
    raw.socket.write('CONNECT {"verbose":true,"pedantic":false,"headers":true}\r\n');
    await raw.waitFor('+OK');
    raw.socket.write('SUB feed 7\r\nSUB feed.* q1 8\r\nPING\r\n');
    await raw.waitFor('PONG');
    expect(raw.text().match(/\+OK/g)).toHaveLength(3);
    for (const piece of ['PU', 'B fe', 'ed 5\r\nhel', 'lo\r', '\nPI', 'NG\r\n']) {
      raw.socket.write(piece);
      await new Promise((r) => setTimeout(r, 5));
    }
    await raw.waitFor('MSG feed 7 5\r\nhello\r\n');
    raw.socket.write('PUB feed.a 1\r\na\r\npub feed.b reply.1 1\r\nb\r\nHPUB feed.c 12 14\r\nNATS/1.0\r\n\r\nhi\r\nPING\r\n');
    await raw.waitFor('HMSG feed.c 8 12 14\r\nNATS/1.0\r\n\r\nhi\r\n');
    expect(raw.text()).toContain('MSG feed.a 8 1\r\na\r\n');
    expect(raw.text()).toContain('MSG feed.b 8 reply.1 1\r\nb\r\n');
    const mark = raw.text().length;
    raw.socket.write('UNSUB 8\r\nPUB feed.d 1\r\nd\r\nPING\r\n');
    await raw.waitFor('PONG', mark);
    expect(raw.text().slice(mark)).toBe('+OK\r\n+OK\r\nPONG\r\n'); // nothing delivered after UNSUB
    raw.socket.end();
    await raw.closed;
  });

  it('rejects a payload over the configured limit with -ERR', async () => {
    const raw = await rawConnect(server.port);
    expect(raw.text()).toContain('"max_payload":4096');
    raw.socket.write('CONNECT {}\r\nPUB big 4097\r\n');
    await raw.waitFor("-ERR 'Maximum Payload Violation'");
    await withTimeout(raw.closed, 3000, 'oversized publisher closed');
    expect(server.stats().connections).toBe(0);
  });
});

describe('EmbeddedNatsServer start-up', () => {
  it('rejects a port in use and a bad maxPayload', async () => {
    const first = await EmbeddedNatsServer.start();
    await expect(EmbeddedNatsServer.start({ port: first.port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await expect(EmbeddedNatsServer.start({ maxPayload: 0 })).rejects.toThrow(RangeError);
    await first.close();
  });
});

describe('EmbeddedNatsServer shutdown', () => {
  it('drain() and close() leave no TCP handles open', async () => {
    const tcpHandles = (): string[] => process.getActiveResourcesInfo().filter((r) => r.startsWith('TCP'));
    const baseline = tcpHandles().length;
    const server = await EmbeddedNatsServer.start();
    const nc = await connect({ servers: server.url });
    const other = await connect({ servers: server.url });
    const sub = nc.subscribe('bye');
    other.publish('bye', enc.encode('x'));
    await take(sub, 1);
    expect(server.stats()).toMatchObject({ connections: 2, inMsgs: 1, outMsgs: 1 });
    await nc.drain();
    await server.close(); // drops `other` too
    await other.close();
    await server.close(); // idempotent
    await withTimeout(
      (async () => {
        while (tcpHandles().length > baseline) await new Promise((r) => setTimeout(r, 10));
      })(),
      3000,
      `TCP handles closed (${tcpHandles().join(', ')})`,
    );
    expect(server.stats().connections).toBe(0);
  });
});
