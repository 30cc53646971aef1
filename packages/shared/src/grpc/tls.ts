import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';

/**
 * TLS for gRPC, off by default (loopback and a trusted cluster network). Paths to PEM files:
 * `cert` and `key` identify this process; `ca` verifies the peer. A server given `ca` also asks
 * clients for a certificate (mutual TLS).
 */
export interface TlsFiles {
  cert?: string;
  key?: string;
  ca?: string;
}

const read = (path: string | undefined, what: string): Buffer | null => {
  if (!path) return null;
  try {
    return readFileSync(path);
  } catch (error) {
    throw new Error(`cannot read the TLS ${what} ${path}: ${(error as Error).message}`, { cause: error });
  }
};

export function tlsEnabled(files: TlsFiles | undefined): files is TlsFiles {
  return Boolean(files && (files.cert || files.key || files.ca));
}

export function serverCredentials(files: TlsFiles | undefined): grpc.ServerCredentials {
  if (!tlsEnabled(files)) return grpc.ServerCredentials.createInsecure();
  const cert = read(files.cert, 'certificate');
  const key = read(files.key, 'key');
  if (!cert || !key) throw new Error('a TLS server needs both --tls-cert and --tls-key');
  const ca = read(files.ca, 'CA');
  return grpc.ServerCredentials.createSsl(ca, [{ cert_chain: cert, private_key: key }], ca !== null);
}

export function clientCredentials(files: TlsFiles | undefined): grpc.ChannelCredentials {
  if (!tlsEnabled(files)) return grpc.credentials.createInsecure();
  return grpc.credentials.createSsl(read(files.ca, 'CA'), read(files.key, 'key'), read(files.cert, 'certificate'));
}

/** TLS files from the environment (LRSWEEP_TLS_CA, LRSWEEP_TLS_CERT, LRSWEEP_TLS_KEY), for clients. */
export function tlsFromEnv(env: NodeJS.ProcessEnv = process.env): TlsFiles | undefined {
  const files = { ca: env.LRSWEEP_TLS_CA, cert: env.LRSWEEP_TLS_CERT, key: env.LRSWEEP_TLS_KEY };
  return tlsEnabled(files) ? files : undefined;
}
