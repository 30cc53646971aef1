import { readFileSync } from 'node:fs';
import { connect, credsAuthenticator, type ConnectionOptions, type NatsConnection } from 'nats';
import { settledBy } from '../deadline.js';

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

/** Drains `nc` (its subscriptions' messages handled, its publications flushed) by `deadlineMs`, else closes it. */
export async function drainOrClose(nc: NatsConnection | undefined, deadlineMs: number): Promise<void> {
  if (!nc || nc.isClosed()) return;
  if (!(await settledBy(nc.drain(), deadlineMs)) && !nc.isClosed()) await nc.close();
}
