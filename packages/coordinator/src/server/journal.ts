import type { JsMsg, NatsConnection, Subscription } from 'nats';
import { ensureEventStream, EVENT_STREAM, type JetStreamContext } from '@lrsweep/shared';

export interface JournalEntry {
  readonly subject: string;
  readonly data: Uint8Array;
  /** Position in the log (0 where the log has none). Only read during the replay: it costs a parse. */
  readonly sequence: number;
}

/**
 * The ordered log the coordinator's state is a fold of: workers' loss reports and trial events,
 * and the coordinator's own events (a sweep submitted, a job asked for, a worker lost, ...).
 * With JetStream it is durable, and a restarted coordinator replays it to the same state;
 * without, it is the live message flow and a restart forgets.
 */
export interface Journal {
  readonly durable: boolean;
  /**
   * Hands every entry to `onEntry`, in log order, replayed ones first; resolves when the journal
   * closes. Entries that arrive together are handed over synchronously one after the other (no
   * round trip, no promise per entry): `onEntry` must not throw, must not wait, and must not keep
   * the entry object past the call (it may be reused for the next one).
   */
  consume(onEntry: (entry: JournalEntry) => void): Promise<void>;
  /** Resolves once the entry is in the log (it then comes back through `entries`). */
  append(subject: string, data: Uint8Array, msgID: string): Promise<void>;
  /** Sequence of the last entry at start: entries up to it are a replay. */
  readonly replayCount: number;
  close(): Promise<void>;
}

/** Entries requested from JetStream at once. */
const JETSTREAM_PULL_BATCH = 4096;

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

  async consume(onEntry: (entry: JournalEntry) => void): Promise<void> {
    // An ordered consumer: in order, from the first entry, recreated by the client after a
    // reconnect or a server restart at the position it had reached. Entries go to a callback as
    // they come off the socket, and thousands are requested at once (the client asks for more at
    // three quarters), so the fold never waits for a pull round trip.
    const consumer = await this.ctx.js.consumers.get(EVENT_STREAM);
    // One entry object for all messages (nothing keeps it past the call): no garbage per entry.
    let current: JsMsg | undefined;
    const entry: { subject: string; data: Uint8Array; readonly sequence: number } = {
      subject: '',
      data: new Uint8Array(0),
      get sequence() {
        return current?.seq ?? 0;
      },
    };
    const messages = await consumer.consume({
      max_messages: JETSTREAM_PULL_BATCH,
      callback: (m) => {
        current = m;
        entry.subject = m.subject;
        entry.data = m.data;
        try {
          onEntry(entry);
        } catch {
          // onEntry does not throw; if it did, the consumer would stop: never let it.
        }
      },
    });
    this.stop = () => messages.stop();
    await messages.closed();
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
  private readonly subscription: Subscription;
  /** Entries that arrived before `consume` was called. */
  private early: JournalEntry[] | undefined = [];
  private onEntry: ((entry: JournalEntry) => void) | undefined;

  constructor(private readonly nc: NatsConnection) {
    // Subscribe now, so nothing published after construction is missed.
    this.subscription = nc.subscribe('lrsweep.>', {
      callback: (error, m) => {
        if (error || m.subject.startsWith('lrsweep.worker.')) return;
        const entry = { subject: m.subject, data: m.data, sequence: 0 };
        if (this.onEntry) this.deliver(entry);
        else this.early?.push(entry);
      },
    });
  }

  private deliver(entry: JournalEntry): void {
    try {
      this.onEntry?.(entry);
    } catch {
      // onEntry does not throw.
    }
  }

  async consume(onEntry: (entry: JournalEntry) => void): Promise<void> {
    this.onEntry = onEntry;
    for (const entry of this.early ?? []) this.deliver(entry);
    this.early = undefined;
    await this.subscription.closed;
  }

  append(subject: string, data: Uint8Array): Promise<void> {
    this.nc.publish(subject, data);
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.subscription.unsubscribe();
    return Promise.resolve();
  }
}
