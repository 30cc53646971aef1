import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers.js';
import { freePort, manage, NATS_SERVER, startCoordinator, startWorker, type Managed } from '../processes.js';

/** gRPC over mutual TLS and NATS with a token: the options a cluster deployment turns on. */
describe('TLS and NATS auth (off by default, on here)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lrsweep-tls-'));
  const pem = (name: string) => join(dir, name);
  const token = 's3cret-token';
  let nats: Managed;
  let natsUrl: string;
  let coordinator: Awaited<ReturnType<typeof startCoordinator>>;
  let worker: Managed;
  const tlsFlags = () => ['--tls-cert', pem('node.pem'), '--tls-key', pem('node.key'), '--tls-ca', pem('ca.pem')];
  const clientEnv = () => ({ LRSWEEP_TLS_CA: pem('ca.pem'), LRSWEEP_TLS_CERT: pem('node.pem'), LRSWEEP_TLS_KEY: pem('node.key') });

  beforeAll(async () => {
    // A CA and one certificate for 127.0.0.1 that every process uses, as server and as client.
    const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=lrsweep-test-ca');
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'node.key', '-out', 'node.csr', '-subj', '/CN=127.0.0.1');
    writeFileSync(pem('ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n');
    ssl('x509', '-req', '-in', 'node.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'node.pem', '-days', '1', '-extfile', 'ext.cnf');
    const port = await freePort();
    nats = manage(NATS_SERVER, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', mkdtempSync(join(tmpdir(), 'lrsweep-tls-nats-')), '--auth', token]);
    await nats.waitFor(/Server is ready/);
    natsUrl = `nats://127.0.0.1:${port}`;
    coordinator = await startCoordinator(natsUrl, [...tlsFlags(), '--nats-token', token]);
    worker = await startWorker(natsUrl, 'tls-w1', [...tlsFlags(), '--nats-token', token]);
  });

  afterAll(async () => {
    await worker?.stop();
    await coordinator?.process.stop();
    await nats?.stop();
  });

  it('a sweep runs end to end over mutual TLS, with NATS token auth', async () => {
    const run = await runCli(['submit', 'examples/spirals.yaml', '--coordinator', coordinator.address, '--wait', '--json'], { env: clientEnv() });
    expect(run.code, run.stderr).toBe(0);
    expect((JSON.parse(run.stdout) as { state: string }).state).toBe('COMPLETED');
  });

  it('a client without TLS, or without a client certificate, is turned away', async () => {
    const plain = await runCli(['list', '--coordinator', coordinator.address], { env: { LRSWEEP_TLS_CA: '', LRSWEEP_TLS_CERT: '', LRSWEEP_TLS_KEY: '' } });
    expect(plain.code).toBe(1);
    expect(plain.stderr).toMatch(/cannot reach the coordinator/);
    const noClientCert = await runCli(['list', '--coordinator', coordinator.address], { env: { LRSWEEP_TLS_CA: pem('ca.pem'), LRSWEEP_TLS_CERT: '', LRSWEEP_TLS_KEY: '' } });
    expect(noClientCert.code).toBe(1);
  });

  it('a worker without the NATS token cannot join', async () => {
    const intruder = manage(process.execPath, [CLI, 'worker', '--nats', natsUrl, '--id', 'intruder', '--slots', '1', '--backend', 'wasm', ...tlsFlags()], { NATS_TOKEN: '' });
    await intruder.waitFor(/Authorization|authorization|AUTHORIZATION/, 20_000);
    await intruder.stop('SIGKILL');
  });
});
