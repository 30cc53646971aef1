import type { NatsConnection, Subscription } from 'nats';
import { ensureEventStream, EVENT_STREAM, type JetStreamContext } from '@lrsweep/shared';

export interface JournalEntry {
  subject: string;
  data: Uint8Array;
  /** Position in the log (0 where the log has none). */
  sequence: number;
}

/**
 * The ordered log the coordinator's state is a fold of: workers' loss reports and trial events,
 * and the coordinator's own events (a sweep submitted, a job asked for, a worker lost, ...).
 * With JetStream it is durable, and a restarted coordinator replays it to the same state;
 * without, it is the live message flow and a restart forgets.
 */
export interface Journal {
  readonly durable: boolean;
  /** Entries in log order; replayed ones first. */
  entries(): AsyncIterable<JournalEntry>;
  /** Resolves once the entry is in the log (it then comes back through `entries`). */
  append(subject: string, data: Uint8Array, msgID: string): Promise<void>;
  /** Sequence of the last entry at start: entries up to it are a replay. */
  readonly replayCount: number;
  close(): Promise<void>;
}

export class JetStreamJournal implements Journal {
  readonly durable = true;

  private constructor(
    private readonly ctx: JetStreamContext,
    readonly replayCount: number,
  ) {}

  static async open(ctx: JetStreamContext, options: { maxAgeMs?: number } = {}): Promise<JetStreamJournal> {
    await ensureEventStream(ctx.jsm, options);
    const info = await ctx.jsm.streams.info(EVENT_STREAM);
    return new JetStreamJournal(ctx, info.state.last_seq);
  }

  async *entries(): AsyncIterable<JournalEntry> {
    // An ordered consumer: in order, from the first entry, recreated by the client after a
    // reconnect or a server restart at the position it had reached.
    const consumer = await this.ctx.js.consumers.get(EVENT_STREAM);
    const messages = await consumer.consume();
    this.stop = () => messages.stop();
    for await (const m of messages) yield { subject: m.subject, data: m.data, sequence: m.seq };
  }

  private stop: () => void = () => undefined;

  async append(subject: string, data: Uint8Array, msgID: string): Promise<void> {
    let backoff = 100;
    for (;;) {
      try {
        await this.ctx.js.publish(subject, data, { msgID, timeout: 5000 });
        return;
      } catch (error) {
        if ((error as { code?: string }).code === 'CONNECTION_CLOSED') throw error;
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(5000, backoff * 2);
      }
    }
  }

  close(): Promise<void> {
    this.stop();
    return Promise.resolve();
  }
}

/** Core NATS only (e.g. the embedded server of `lrsweep run`): nothing survives a restart. */
export class CoreJournal implements Journal {
  readonly durable = false;
  readonly replayCount = 0;
  private subscription: Subscription | undefined;

  constructor(private readonly nc: NatsConnection) {
    // Subscribe now, so nothing published after construction is missed.
    this.subscription = nc.subscribe('lrsweep.>');
  }

  async *entries(): AsyncIterable<JournalEntry> {
    for await (const m of this.subscription!) {
      if (m.subject.startsWith('lrsweep.worker.')) continue;
      yield { subject: m.subject, data: m.data, sequence: 0 };
    }
  }

  append(subject: string, data: Uint8Array): Promise<void> {
    this.nc.publish(subject, data);
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.subscription?.unsubscribe();
    return Promise.resolve();
  }
}
