#!/usr/bin/env node
import { Command, InvalidArgumentError, Option } from 'commander';
import { SpecError, TrainingSetupError } from '@lrsweep/shared';
import type { RangeTestCommandOptions } from './commands/range-test.js';
import { coordinatorCommand, workerCommand } from './commands/servers.js';
import { cancelCommand, CliError, getCommand, listCommand, runCommand, submitCommand, watchCommand } from './commands/sweep.js';

function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a whole number ≥ 0, got '${value}'`);
    return n;
  };
}

function positiveSeconds(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a number of seconds > 0, e.g. 2 or 0.5, got '${value}'`);
    return n;
  };
}

const program = new Command()
  .name('lrsweep')
  .description('Find the learning rate before you spend the GPU time: range tests and pruned LR sweeps on TensorFlow.js')
  .showHelpAfterError();

program
  .command('range-test')
  .description('LR range test: raise the rate exponentially over a sample, with several seeds, and suggest a rate and a range')
  .argument('<spec>', 'sweep spec (YAML or JSON), e.g. examples/mnist-mlp-sgd.yaml')
  .option('--json', 'print one JSON object instead of the table')
  .option('--plot <file.svg>', 'write the loss-vs-rate curve as an SVG')
  .option('--seeds <n>', 'independent ramps (default: rangeTest.seeds of the spec)', positiveInt('--seeds'))
  .option('--processes <n>', 'worker processes to run seeds in (default: one per core; 0 = in this process)', positiveInt('--processes'))
  .addOption(new Option('--backend <name>', 'TensorFlow.js backend').choices(['auto', 'tensorflow', 'wasm', 'cpu']).default('auto'))
  // Loaded on use: it pulls in TensorFlow.js, which a worker or coordinator process never needs.
  .action(async (spec: string, options: RangeTestCommandOptions) => (await import('./commands/range-test.js')).rangeTestCommand(spec, options));

/** gRPC TLS and NATS auth, off by default (see deploy/k8s/README.md); each also read from the environment. */
function addSecurityOptions(command: Command): Command {
  return command
    .option('--metrics-port <port>', 'serve /metrics, /livez and /readyz on this port (Prometheus)', positiveInt('--metrics-port'))
    .option('--tls-cert <pem>', 'gRPC TLS certificate of this server (env LRSWEEP_TLS_CERT)')
    .option('--tls-key <pem>', 'its private key (env LRSWEEP_TLS_KEY)')
    .option('--tls-ca <pem>', 'CA that peers are verified against; a server with it requires client certificates (env LRSWEEP_TLS_CA)')
    .option('--nats-token <token>', 'NATS token (env NATS_TOKEN)')
    .option('--nats-creds <file>', 'NATS credentials file (env NATS_CREDS)')
    .option('--nats-ca <pem>', 'CA of a tls:// NATS server (env NATS_CA)');
}

const backendOption = () => new Option('--backend <name>', 'TensorFlow.js backend of the workers').choices(['auto', 'tensorflow', 'wasm', 'cpu']).default('auto');
const coordinatorOption = () => new Option('--coordinator <host:port>', 'coordinator address (default: $LRSWEEP_COORDINATOR, else 127.0.0.1:50051)');

program
  .command('run')
  .description('a whole sweep on this machine: coordinator, N local worker processes, NATS (embedded unless --nats/NATS_URL), then full training')
  .argument('<spec>', 'sweep spec (YAML or JSON)')
  .option('--workers <n>', 'local worker processes (default: one per core)', positiveInt('--workers'))
  .option('--json', 'print the result as one JSON object')
  .option('--nats <url>', 'use this NATS server instead of the embedded one (default: $NATS_URL)')
  .option('--models-dir <dir>', 'where the trained model is saved', '.lrsweep/models')
  .addOption(backendOption())
  .action(runCommand);

program
  .command('coordinator')
  .description('serve the SweepService and drive sweeps on the workers that announce themselves on NATS')
  .option('--listen <host:port>', 'gRPC address', '0.0.0.0:50051')
  .option('--nats <url>', 'NATS server (default: $NATS_URL, else nats://127.0.0.1:4222)')
  .option('--heartbeat-timeout <seconds>', 'a worker silent this long is lost', positiveSeconds('--heartbeat-timeout'), 10)
  .option('--checkpoint-every <steps>', 'checkpoint running trials every this many steps, besides rungs (needs JetStream or --checkpoint-dir)', positiveInt('--checkpoint-every'), 0)
  .option('--checkpoint-dir <dir>', "the workers' --checkpoint-dir (a volume they all mount): paused trials resume on any worker without JetStream, and finished sweeps' checkpoints are deleted there")
  .option('--lease-ttl <seconds>', 'with JetStream, one coordinator acts at a time: others wait and take over this long after it stops renewing its lease', positiveInt('--lease-ttl'), 10);
addSecurityOptions(program.commands.at(-1)!).action(coordinatorCommand);

program
  .command('worker')
  .description('serve the WorkerService and run trials, one executor process per slot')
  .option('--listen <host:port>', 'gRPC address', '127.0.0.1:0')
  .option('--advertise <host:port>', 'address the coordinator dials (default: the listen address)')
  .option('--nats <url>', 'NATS server (default: $NATS_URL, else nats://127.0.0.1:4222)')
  .option('--slots <n>', 'trials at once (default: one per core)', positiveInt('--slots'))
  .option('--id <id>', 'worker id (default: random)')
  .option('--models-dir <dir>', 'where final trainings save their models', '.lrsweep/models')
  .option('--checkpoint-dir <dir>', "write checkpoints here instead of JetStream's object store: a directory every worker reads (a shared volume), given to the coordinator too")
  .option('--heartbeat-interval <seconds>', "seconds between heartbeats; keep it well under the coordinator's --heartbeat-timeout (a third or less)", positiveSeconds('--heartbeat-interval'), 2)
  .option('--quiet', 'no log lines')
  .addOption(backendOption());
addSecurityOptions(program.commands.at(-1)!).action(workerCommand);

program
  .command('submit')
  .description('submit a sweep to a running coordinator')
  .argument('<spec>', 'sweep spec (YAML or JSON)')
  .addOption(coordinatorOption())
  .option('--wait', 'watch it until it ends, then print the result')
  .option('--json', 'JSON output')
  .action(submitCommand);

program.command('watch').description('live progress of a sweep until it ends').argument('<sweep-id>').addOption(coordinatorOption()).option('--json', 'print the final result as JSON').action(watchCommand);
program.command('get').description('a sweep with every trial and decision').argument('<sweep-id>').addOption(coordinatorOption()).option('--json', 'JSON output').action(getCommand);
program.command('list').description('the sweeps the coordinator knows').addOption(coordinatorOption()).option('--json', 'JSON output').action(listCommand);
program.command('cancel').description('cancel a sweep: every trial stops').argument('<sweep-id>').addOption(coordinatorOption()).action(cancelCommand);

try {
  await program.parseAsync();
} catch (error) {
  if (error instanceof SpecError) {
    process.stderr.write(`${error.message}\n`);
    process.exitCode = 2;
  } else if (error instanceof CliError) {
    process.stderr.write(`error: ${error.message}\n`);
    process.exitCode = error.exitCode;
  } else if (error instanceof TrainingSetupError) {
    process.stderr.write(`error: ${error.message}${error.field ? `\n  fix: correct ${error.field} in the spec` : ''}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
