import { RetentionPolicy, StorageType, type JetStreamClient, type JetStreamManager, type NatsConnection } from 'nats';

/** The stream that keeps every fact of every sweep: loss reports, trial events, coordinator events. */
export const EVENT_STREAM = 'LRSWEEP';
export const EVENT_SUBJECTS = ['lrsweep.loss.>', 'lrsweep.trial.>', 'lrsweep.ctl.>'];
/** Object store bucket of trial checkpoints (one object per trial, `<sweep>/<trial>`). */
export const CHECKPOINT_BUCKET = 'lrsweep-checkpoints';
/** Key-value bucket of the coordinator lease (one coordinator acts on the journal at a time). */
export const LEASE_BUCKET = 'lrsweep-coordinator';

export interface JetStreamContext {
  js: JetStreamClient;
  jsm: JetStreamManager;
}

/** JetStream when the server has it (nats-server -js), else null: the caller runs without durability. */
export async function jetStreamOf(nc: NatsConnection): Promise<JetStreamContext | null> {
  try {
    const jsm = await nc.jetstreamManager({ timeout: 3000 });
    await jsm.getAccountInfo();
    return { js: nc.jetstream(), jsm };
  } catch {
    return null;
  }
}

/** Creates the event stream if it is missing (idempotent; the settings of an existing one are kept). */
export async function ensureEventStream(jsm: JetStreamManager, options: { maxAgeMs?: number; duplicateWindowMs?: number } = {}): Promise<void> {
  try {
    await jsm.streams.info(EVENT_STREAM);
    return;
  } catch {
    // not there yet
  }
  try {
    await jsm.streams.add({
      name: EVENT_STREAM,
      subjects: EVENT_SUBJECTS,
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      max_age: (options.maxAgeMs ?? 7 * 24 * 3600_000) * 1e6,
      // Re-sent reports (a publisher that retried after a lost ack) are dropped by message id.
      duplicate_window: (options.duplicateWindowMs ?? 10 * 60_000) * 1e6,
    });
  } catch (error) {
    // Another process created it at the same moment.
    await jsm.streams.info(EVENT_STREAM).catch(() => {
      throw error;
    });
  }
}

interface OutboxMessage {
  subject: string;
  data: Uint8Array;
  msgID: string;
}

/** The messages of one order key (one trial) not yet acknowledged, oldest first. */
interface OutboxLane {
  key: string;
  messages: OutboxMessage[];
  /** Index of the oldest unacknowledged message. */
  head: number;
  /** Its head is in flight, or waiting out a failure. */
  busy: boolean;
  backoffMs: number;
}

export interface OutboxOptions {
  /** Publishes awaiting their acknowledgement at once, over all order keys. Default 64. */
  maxInFlight?: number;
}

/**
 * The order key of a subject: one per trial for lrsweep.loss.<sweep>.<trial> and
 * lrsweep.trial.<sweep>.<trial> alike (a trial's reports and events stay in order with each other),
 * else the subject itself.
 */
export function orderKeyOf(subject: string): string {
  const parts = subject.split('.');
  return parts.length === 4 && (parts[1] === 'loss' || parts[1] === 'trial') ? `${parts[2]}.${parts[3]}` : subject;
}

/**
 * Ordered, at-least-once publishing that rides out NATS outages: messages wait in memory until the
 * server acknowledges them (JetStream, with a message id so a re-send is not stored twice) or, on a
 * server without JetStream, until the connection takes them.
 *
 * Pipelined: publishes of different trials are in flight together (up to `maxInFlight`), so the
 * rate is not one message per round trip. Within a trial (an order key) one message is in flight
 * at a time and the next goes only once it is acknowledged: a message that fails is re-sent before
 * anything after it, so the stream holds each trial's messages in the order they were pushed, even
 * when a connection drops with publishes in flight (those written before the drop are lost, those
 * buffered after it would otherwise be stored first).
 */
export class Outbox {
  private readonly lanes = new Map<string, OutboxLane>();
  /** Lanes with a head ready to go, waiting for room in flight, oldest first. */
  private readonly ready: OutboxLane[] = [];
  private readyHead = 0;
  private inFlight = 0;
  private count = 0;
  private closed = false;
  private readonly maxInFlight: number;
  /** Messages sent, and send attempts that failed and were retried. */
  readonly stats = { sent: 0, retries: 0 };

  constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient | null,
    private readonly onError: (error: Error) => void = () => undefined,
    options: OutboxOptions = {},
  ) {
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 64);
  }

  /** Messages pushed and not yet acknowledged (waiting or in flight). */
  get pending(): number {
    return this.count;
  }

  /** Whether messages of this order key (a trial: `<sweepId>.<trialId>`) wait for their acknowledgement. */
  hasPending(orderKey: string): boolean {
    return this.lanes.has(orderKey);
  }

  /** Queues a message; `orderKey` (default: the trial of the subject) says what it stays in order with. */
  push(subject: string, data: Uint8Array, msgID: string, orderKey: string = orderKeyOf(subject)): void {
    if (this.closed) return;
    let lane = this.lanes.get(orderKey);
    if (!lane) {
      lane = { key: orderKey, messages: [], head: 0, busy: false, backoffMs: 100 };
      this.lanes.set(orderKey, lane);
    }
    lane.messages.push({ subject, data, msgID });
    this.count += 1;
    if (!lane.busy) {
      lane.busy = true;
      this.ready.push(lane);
      this.pump();
    }
  }

  /** Sends the heads of ready lanes while there is room in flight. */
  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.readyHead < this.ready.length && !this.closed) {
      const lane = this.ready[this.readyHead]!;
      this.readyHead += 1;
      this.send(lane);
    }
    if (this.readyHead > 1024 && this.readyHead * 2 > this.ready.length) {
      this.ready.splice(0, this.readyHead);
      this.readyHead = 0;
    }
  }

  private send(lane: OutboxLane): void {
    const message = lane.messages[lane.head]!;
    this.inFlight += 1;
    let sent: Promise<unknown>;
    try {
      sent = this.js ? this.js.publish(message.subject, message.data, { msgID: message.msgID, timeout: 5000 }) : Promise.resolve(this.nc.publish(message.subject, message.data));
    } catch (error) {
      sent = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    sent.then(
      () => {
        this.inFlight -= 1;
        this.stats.sent += 1;
        this.count -= 1;
        lane.head += 1;
        lane.backoffMs = 100;
        if (lane.head === lane.messages.length) {
          this.lanes.delete(lane.key);
        } else {
          if (lane.head > 64 && lane.head * 2 > lane.messages.length) {
            lane.messages.splice(0, lane.head);
            lane.head = 0;
          }
          this.ready.push(lane);
        }
        this.pump();
      },
      (error: unknown) => {
        this.inFlight -= 1;
        this.stats.retries += 1;
        this.onError(error as Error);
        // This lane waits (nothing after its head goes first); the others carry on.
        const delay = lane.backoffMs;
        lane.backoffMs = Math.min(5000, lane.backoffMs * 2);
        setTimeout(() => {
          if (this.closed) return;
          this.ready.push(lane);
          this.pump();
        }, delay);
        this.pump();
      },
    );
  }

  /** Waits until everything queued is sent (or `timeoutMs` passes). */
  async flush(timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.count > 0 && !this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    return this.count === 0;
  }

  close(): void {
    this.closed = true;
  }
}
