import type { JetStreamClient, NatsConnection } from 'nats';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { orderKeyOf, Outbox } from './jetstream.js';

/** A JetStream client whose publishes the test acknowledges or fails one by one. */
function fakeJetStream() {
  const calls: { subject: string; msgID: string; resolve: () => void; reject: (e: Error) => void }[] = [];
  const js = {
    publish: (subject: string, _data: Uint8Array, options: { msgID: string }) =>
      new Promise<void>((resolve, reject) => calls.push({ subject, msgID: options.msgID, resolve, reject })),
  };
  return { js: js as unknown as JetStreamClient, calls };
}

const nc = {} as NatsConnection;
const bytes = new Uint8Array([1]);
const settle = () => new Promise((r) => setImmediate(r));

afterEach(() => vi.useRealTimers());

describe('Outbox (pipelined, in order per trial)', () => {
  it('keys a trial\'s reports and events together, anything else by subject', () => {
    expect(orderKeyOf('lrsweep.loss.s1.t001')).toBe('s1.t001');
    expect(orderKeyOf('lrsweep.trial.s1.t001')).toBe('s1.t001');
    expect(orderKeyOf('lrsweep.ctl._.job')).toBe('lrsweep.ctl._.job');
  });

  it('says which trials still have messages waiting for their acknowledgement (the worker lists them in heartbeats)', async () => {
    const { js, calls } = fakeJetStream();
    const outbox = new Outbox(nc, js);
    outbox.push('lrsweep.loss.s.a', bytes, 'a.1');
    outbox.push('lrsweep.trial.s.a', bytes, 'a.budget');
    outbox.push('lrsweep.trial.s.b', bytes, 'b.budget');
    expect([outbox.hasPending('s.a'), outbox.hasPending('s.b'), outbox.hasPending('s.c')]).toEqual([true, true, false]);
    calls[0]!.resolve();
    calls[1]!.resolve();
    await settle();
    expect(outbox.hasPending('s.a')).toBe(true); // its budget event is still in flight
    expect(outbox.hasPending('s.b')).toBe(false);
    calls[2]!.resolve();
    await settle();
    expect(outbox.hasPending('s.a')).toBe(false);
  });

  it('has one publish in flight per trial and many trials in flight together', async () => {
    const { js, calls } = fakeJetStream();
    const outbox = new Outbox(nc, js);
    for (let step = 1; step <= 3; step++) for (const t of ['a', 'b', 'c']) outbox.push(`lrsweep.loss.s.${t}`, bytes, `${t}.${step}`);
    expect(calls.map((c) => c.msgID)).toEqual(['a.1', 'b.1', 'c.1']);
    expect(outbox.pending).toBe(9);
    calls[1]!.resolve();
    await settle();
    expect(calls.map((c) => c.msgID)).toEqual(['a.1', 'b.1', 'c.1', 'b.2']);
    for (const c of [...calls]) c.resolve();
    await settle();
    for (const c of [...calls]) c.resolve();
    await settle();
    for (const c of [...calls]) c.resolve();
    await settle();
    expect(outbox.pending).toBe(0);
    expect(outbox.stats.sent).toBe(9);
    // Per trial, in the order pushed.
    for (const t of ['a', 'b', 'c']) expect(calls.filter((c) => c.subject.endsWith(t)).map((c) => c.msgID)).toEqual([`${t}.1`, `${t}.2`, `${t}.3`]);
  });

  it('re-sends a failed message with its id before anything after it in its trial, while other trials go on', async () => {
    vi.useFakeTimers();
    const { js, calls } = fakeJetStream();
    const errors: string[] = [];
    const outbox = new Outbox(nc, js, (e) => errors.push(e.message));
    outbox.push('lrsweep.loss.s.a', bytes, 'a.1');
    outbox.push('lrsweep.loss.s.a', bytes, 'a.2');
    outbox.push('lrsweep.trial.s.a', bytes, 'a.budget');
    outbox.push('lrsweep.loss.s.b', bytes, 'b.1');
    calls[0]!.reject(new Error('timeout'));
    calls[1]!.resolve();
    await vi.advanceTimersByTimeAsync(0);
    outbox.push('lrsweep.loss.s.b', bytes, 'b.2');
    await vi.advanceTimersByTimeAsync(0);
    // b goes on; a waits out its back-off.
    expect(calls.map((c) => c.msgID)).toEqual(['a.1', 'b.1', 'b.2']);
    await vi.advanceTimersByTimeAsync(100);
    expect(calls.map((c) => c.msgID)).toEqual(['a.1', 'b.1', 'b.2', 'a.1']);
    calls[3]!.resolve();
    await vi.advanceTimersByTimeAsync(0);
    calls[4]!.resolve();
    await vi.advanceTimersByTimeAsync(0);
    calls[2]!.resolve();
    calls[5]!.resolve();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls.filter((c) => c.subject.endsWith('.a')).map((c) => c.msgID)).toEqual(['a.1', 'a.1', 'a.2', 'a.budget']);
    expect(outbox.stats).toEqual({ sent: 5, retries: 1 });
    expect(errors).toEqual(['timeout']);
    expect(outbox.pending).toBe(0);
  });

  it('keeps at most maxInFlight publishes in flight, the oldest waiting trials first', async () => {
    const { js, calls } = fakeJetStream();
    const outbox = new Outbox(nc, js, undefined, { maxInFlight: 2 });
    for (const t of ['a', 'b', 'c', 'd']) outbox.push(`lrsweep.loss.s.${t}`, bytes, t);
    expect(calls.map((c) => c.msgID)).toEqual(['a', 'b']);
    calls[0]!.resolve();
    await settle();
    expect(calls.map((c) => c.msgID)).toEqual(['a', 'b', 'c']);
    calls[1]!.resolve();
    calls[2]!.resolve();
    await settle();
    expect(calls.map((c) => c.msgID)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('flush waits for every acknowledgement; close stops sending', async () => {
    const { js, calls } = fakeJetStream();
    const outbox = new Outbox(nc, js);
    outbox.push('lrsweep.loss.s.a', bytes, 'a.1');
    outbox.push('lrsweep.loss.s.a', bytes, 'a.2');
    const flushed = outbox.flush(5000);
    calls[0]!.resolve();
    await settle();
    calls[1]!.resolve();
    expect(await flushed).toBe(true);
    outbox.close();
    outbox.push('lrsweep.loss.s.a', bytes, 'a.3');
    expect(calls).toHaveLength(2);
  });

  it('without JetStream hands messages to the connection, in order', () => {
    const published: string[] = [];
    const core = { publish: (subject: string) => void published.push(subject) } as unknown as NatsConnection;
    const outbox = new Outbox(core, null);
    outbox.push('lrsweep.loss.s.a', bytes, 'a.1');
    outbox.push('lrsweep.loss.s.b', bytes, 'b.1');
    expect(published).toEqual(['lrsweep.loss.s.a', 'lrsweep.loss.s.b']);
  });
});
