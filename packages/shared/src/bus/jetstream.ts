import { RetentionPolicy, StorageType, type JetStreamClient, type JetStreamManager, type NatsConnection, type ObjectStore } from 'nats';

/** The stream that keeps every fact of every sweep: loss reports, trial events, coordinator events. */
export const EVENT_STREAM = 'LRSWEEP';
export const EVENT_SUBJECTS = ['lrsweep.loss.>', 'lrsweep.trial.>', 'lrsweep.ctl.>'];
/** Object store bucket of trial checkpoints (one object per trial, `<sweep>/<trial>`). */
export const CHECKPOINT_BUCKET = 'lrsweep-checkpoints';

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

export async function checkpointStore(js: JetStreamClient): Promise<ObjectStore> {
  return js.views.os(CHECKPOINT_BUCKET, { storage: StorageType.File });
}

/**
 * Ordered, at-least-once publishing that rides out NATS outages: messages wait in memory until the
 * server acknowledges them (JetStream, with a message id so a re-send is not stored twice) or, on a
 * server without JetStream, until the connection takes them.
 */
export class Outbox {
  private readonly queue: { subject: string; data: Uint8Array; msgID: string }[] = [];
  private pumping: Promise<void> | undefined;
  private closed = false;
  /** Messages sent, and send attempts that failed and were retried. */
  readonly stats = { sent: 0, retries: 0 };

  constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient | null,
    private readonly onError: (error: Error) => void = () => undefined,
  ) {}

  get pending(): number {
    return this.queue.length;
  }

  push(subject: string, data: Uint8Array, msgID: string): void {
    if (this.closed) return;
    this.queue.push({ subject, data, msgID });
    this.pumping ??= this.pump().finally(() => (this.pumping = undefined));
  }

  private async pump(): Promise<void> {
    let backoff = 100;
    while (this.queue.length > 0 && !this.closed) {
      const next = this.queue[0]!;
      try {
        if (this.js) await this.js.publish(next.subject, next.data, { msgID: next.msgID, timeout: 5000 });
        else this.nc.publish(next.subject, next.data);
        this.queue.shift();
        this.stats.sent += 1;
        backoff = 100;
      } catch (error) {
        this.stats.retries += 1;
        this.onError(error as Error);
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(5000, backoff * 2);
      }
    }
  }

  /** Waits until everything queued is sent (or `timeoutMs` passes). */
  async flush(timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.queue.length > 0 && Date.now() < deadline) {
      await (this.pumping ?? new Promise((r) => setTimeout(r, 20)));
    }
    return this.queue.length === 0;
  }

  close(): void {
    this.closed = true;
  }
}
