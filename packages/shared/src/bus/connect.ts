import { readFileSync } from 'node:fs';
import { connect, credsAuthenticator, type ConnectionOptions, type NatsConnection } from 'nats';

/**
 * How a process reaches NATS. Auth is off by default (loopback); in a cluster use a token or a
 * credentials file (NKEY/JWT), and a tls:// URL with a CA for encryption.
 */
export interface NatsAccess {
  url: string;
  token?: string;
  /** A .creds file (decentralised JWT auth). */
  credsFile?: string;
  /** CA to verify a tls:// server. */
  caFile?: string;
  name?: string;
}

export function natsAccessFromEnv(url: string, env: NodeJS.ProcessEnv = process.env): NatsAccess {
  return { url, ...(env.NATS_TOKEN ? { token: env.NATS_TOKEN } : {}), ...(env.NATS_CREDS ? { credsFile: env.NATS_CREDS } : {}), ...(env.NATS_CA ? { caFile: env.NATS_CA } : {}) };
}

/**
 * Connects with reconnection forever (a NATS restart is ridden out, publications buffered).
 * Without async traces: the client would otherwise capture a stack trace (two Errors) for every
 * request, JetStream publishes included, to decorate a timeout that rarely comes; at thousands of
 * reports a second that was the largest cost of publishing. Errors still say what failed.
 */
export function connectNats(access: NatsAccess): Promise<NatsConnection> {
  const options: ConnectionOptions = { servers: access.url, maxReconnectAttempts: -1, reconnectTimeWait: 500, noAsyncTraces: true };
  if (access.name) options.name = access.name;
  if (access.token) options.token = access.token;
  if (access.credsFile) options.authenticator = credsAuthenticator(readFileSync(access.credsFile));
  if (access.caFile) options.tls = { caFile: access.caFile };
  return connect(options);
}

/**
 * Waits for `work` until `deadlineMs` (epoch ms) at the latest; true if it settled by then. For
 * shutdown steps that need NATS: with the server gone, a flush or a drain waits for a reconnect
 * that may never come, and a process asked to stop must stop within its grace period anyway.
 */
export async function settledBy(work: Promise<unknown> | undefined, deadlineMs: number): Promise<boolean> {
  if (!work) return true;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, deadlineMs - Date.now()))));
  try {
    return await Promise.race([work.then(() => true, () => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Drains `nc` (its subscriptions' messages handled, its publications flushed) by `deadlineMs`, else closes it. */
export async function drainOrClose(nc: NatsConnection | undefined, deadlineMs: number): Promise<void> {
  if (!nc || nc.isClosed()) return;
  if (!(await settledBy(nc.drain(), deadlineMs)) && !nc.isClosed()) await nc.close();
}
