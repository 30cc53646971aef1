import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { parse as parseYaml } from 'yaml';

/**
 * Checks of deploy/docker/Dockerfile.* that need no Docker engine (none runs on our machines): the
 * files are parsed with dockerfile-ast and held to what the images must do. Every function returns
 * violations (empty when the file passes), so a broken copy can be shown to fail.
 */

export type Role = 'coordinator' | 'worker' | 'worker-gpu';

export const ENTRYPOINT = ['node', 'packages/cli/dist/main.js'];
export const RUN_AS_USER = '10001';

const INSTRUCTIONS = new Set(['FROM', 'RUN', 'CMD', 'LABEL', 'EXPOSE', 'ENV', 'ADD', 'COPY', 'ENTRYPOINT', 'VOLUME', 'USER', 'WORKDIR', 'ARG', 'ONBUILD', 'STOPSIGNAL', 'HEALTHCHECK', 'SHELL']);

interface Stage {
  name: string | undefined;
  image: string;
  instructions: Instruction[];
  /** ARG values in scope (global defaults re-declared in the stage, or the stage's own). */
  args: Map<string, string>;
}

export interface Repo {
  root: string;
}

function substitute(text: string, vars: ReadonlyMap<string, string>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, braced: string | undefined, bare: string | undefined) => vars.get(braced ?? bare ?? '') ?? whole);
}

/** An instruction's arguments as one line (continuations joined), variables substituted. */
function content(instruction: Instruction, vars: ReadonlyMap<string, string>): string {
  return substitute((instruction.getRawArgumentsContent() ?? '').replace(/\\\r?\n/g, ' '), vars).replace(/\s+/g, ' ').trim();
}

function words(instruction: Instruction): string[] {
  return instruction.getArguments().map((a) => a.getValue());
}

/** A JSON-form argument list (`["node", "main.js"]`), or undefined for the shell form. */
function jsonForm(instruction: Instruction): string[] | undefined {
  try {
    const value: unknown = JSON.parse(instruction.getRawArgumentsContent() ?? '');
    return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : undefined;
  } catch {
    return undefined;
  }
}

function fromFlag(instruction: Instruction): string | undefined {
  const flag = instruction.getKeyword() === 'COPY' || instruction.getKeyword() === 'ADD' ? (instruction as unknown as { getFlags(): { getName(): string; getValue(): string | null }[] }).getFlags().find((f) => f.getName() === 'from') : undefined;
  return flag?.getValue() ?? undefined;
}

export function parseStages(text: string): { stages: Stage[]; globals: Map<string, string>; errors: string[] } {
  const dockerfile = DockerfileParser.parse(text);
  const errors: string[] = [];
  const globals = new Map<string, string>();
  for (const arg of dockerfile.getInitialARGs()) {
    const property = arg.getProperty();
    if (property?.getValue() != null) globals.set(property.getName(), property.getValue()!);
  }
  const stages: Stage[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    const keyword = instruction.getKeyword();
    if (!INSTRUCTIONS.has(keyword)) errors.push(`line ${instruction.getRange().start.line + 1}: unknown instruction ${keyword}`);
    if (keyword === 'FROM') {
      const args = words(instruction).filter((w) => !w.startsWith('--'));
      const asAt = args.findIndex((w) => w.toUpperCase() === 'AS');
      stages.push({ image: substitute(args[0] ?? '', globals), name: asAt >= 0 ? args[asAt + 1] : undefined, instructions: [], args: new Map() });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) {
      if (keyword !== 'ARG') errors.push(`line ${instruction.getRange().start.line + 1}: ${keyword} before the first FROM`);
      continue;
    }
    stage.instructions.push(instruction);
    if (keyword === 'ARG') {
      const [nameValue = ''] = words(instruction);
      const [argName = '', ...value] = nameValue.split('=');
      const resolved = value.length > 0 ? value.join('=') : globals.get(argName);
      if (resolved !== undefined) stage.args.set(argName, resolved);
    }
  }
  return { stages, globals, errors };
}

/** The folders pnpm-workspace.yaml names (what `pnpm install --frozen-lockfile` needs the manifests of). */
export function workspacePackages(repo: Repo): string[] {
  const { packages } = parseYaml(readFileSync(join(repo.root, 'pnpm-workspace.yaml'), 'utf8')) as { packages: string[] };
  const dirs: string[] = [];
  for (const pattern of packages) {
    if (pattern.endsWith('/*')) {
      const parent = pattern.slice(0, -2);
      for (const entry of readdirSync(join(repo.root, parent), { withFileTypes: true })) {
        if (entry.isDirectory() && existsSync(join(repo.root, parent, entry.name, 'package.json'))) dirs.push(`${parent}/${entry.name}`);
      }
    } else if (!pattern.includes('*')) dirs.push(pattern);
    else throw new Error(`workspace pattern ${pattern} not understood by this check`);
  }
  return dirs.sort();
}

/** Workspace folders the CLI loads at run time: the CLI and its workspace dependencies, transitively. */
export function cliPackages(repo: Repo): string[] {
  const byName = new Map<string, { dir: string; deps: string[] }>();
  for (const dir of workspacePackages(repo)) {
    const manifest = JSON.parse(readFileSync(join(repo.root, dir, 'package.json'), 'utf8')) as { name: string; dependencies?: Record<string, string> };
    byName.set(manifest.name, { dir, deps: Object.entries(manifest.dependencies ?? {}).filter(([, v]) => v.startsWith('workspace:')).map(([k]) => k) });
  }
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    for (const dep of byName.get(name)?.deps ?? []) visit(dep);
  };
  visit('@lrsweep/cli');
  return [...seen].map((name) => byName.get(name)!.dir).sort();
}

function isPinnedFrom(image: string): boolean {
  if (image.includes('$')) return false;
  const at = image.indexOf('@');
  if (at >= 0) return /^sha256:[0-9a-f]{64}$/.test(image.slice(at + 1));
  const colon = image.lastIndexOf(':');
  if (colon <= image.lastIndexOf('/')) return false;
  const tag = image.slice(colon + 1);
  return tag !== 'latest' && /\d/.test(tag);
}

/** Everything wrong with one Dockerfile, given the image it builds. */
export function dockerfileViolations(text: string, role: Role, repo: Repo, dockerignore?: string): string[] {
  const { stages, globals, errors } = parseStages(text);
  const found = [...errors];
  if (stages.length === 0) return [...found, 'no FROM'];

  const names = new Set<string>();
  for (const stage of stages) {
    if (stage.name !== undefined) {
      if (names.has(stage.name)) found.push(`stage ${stage.name} is defined twice`);
    }
    if (!names.has(stage.image) && !isPinnedFrom(stage.image)) found.push(`FROM ${stage.image}: pin a version tag (not latest) or a digest`);
    if (stage.name !== undefined) names.add(stage.name);
    for (const instruction of stage.instructions) {
      const from = fromFlag(instruction);
      if (from !== undefined && !stages.slice(0, stages.indexOf(stage)).some((s) => s.name === from)) found.push(`COPY --from=${from}: no earlier stage of that name`);
      if (instruction.getKeyword() === 'COPY' && from === undefined) {
        const sources = words(instruction).filter((w) => !w.startsWith('--')).slice(0, -1);
        for (const source of sources) {
          if (source.startsWith('/') || source.includes('..')) found.push(`COPY ${source}: sources come from the build context`);
          else if (!existsSync(join(repo.root, source))) found.push(`COPY ${source}: not in the repository`);
        }
      }
      if (instruction.getKeyword() === 'ADD') found.push('use COPY, not ADD');
    }
  }

  const runs = stages.flatMap((stage) => stage.instructions.filter((i) => i.getKeyword() === 'RUN').map((i) => ({ stage, text: content(i, stage.args) })));
  const contextCopies = new Set(stages.flatMap((stage) => stage.instructions.filter((i) => i.getKeyword() === 'COPY' && fromFlag(i) === undefined).flatMap((i) => words(i).filter((w) => !w.startsWith('--')).slice(0, -1))));

  // the workspace's manifests, all of them, before a frozen install
  for (const file of ['package.json', 'pnpm-lock.yaml', 'pnpm-workspace.yaml', ...workspacePackages(repo).map((dir) => `${dir}/package.json`)]) {
    if (!contextCopies.has(file)) found.push(`${file} is not copied: pnpm install --frozen-lockfile needs every workspace manifest`);
  }
  const packageManager = (JSON.parse(readFileSync(join(repo.root, 'package.json'), 'utf8')) as { packageManager?: string }).packageManager ?? '';
  if (!runs.some((r) => r.text.includes(`install --global ${packageManager}`) || r.text.includes(`install -g ${packageManager}`))) found.push(`pnpm must be installed at the repository's version (${packageManager})`);
  const installs = runs.filter((r) => /\bpnpm install\b/.test(r.text));
  if (installs.length === 0 || installs.some((r) => !r.text.includes('--frozen-lockfile'))) found.push('every pnpm install must use --frozen-lockfile');
  const prodInstall = installs.find((r) => r.text.includes('--prod'));
  if (!prodInstall) found.push('no pnpm install --prod stage');
  const buildRun = runs.find((r) => /\bpnpm (run )?build\b/.test(r.text));
  if (!buildRun) found.push('no stage runs pnpm build');

  const final = stages.at(-1)!;
  const finalKeyword = (keyword: string) => final.instructions.filter((i) => i.getKeyword() === keyword);
  const user = finalKeyword('USER').at(-1);
  const uid = user ? words(user)[0]?.split(':')[0] : undefined;
  if (uid !== RUN_AS_USER) found.push(`the final stage must run as USER ${RUN_AS_USER} (non-root), not ${uid ?? 'root'}`);
  const workdir = finalKeyword('WORKDIR').at(-1);
  if (!workdir || words(workdir)[0] !== '/app') found.push('the final stage must work in /app');
  const entrypoint = finalKeyword('ENTRYPOINT').at(-1);
  const entry = entrypoint ? jsonForm(entrypoint) : undefined;
  if (JSON.stringify(entry) !== JSON.stringify(ENTRYPOINT)) found.push(`ENTRYPOINT must be the lrsweep CLI in JSON form: ${JSON.stringify(ENTRYPOINT)}`);
  const cmd = finalKeyword('CMD').at(-1);
  const command = cmd ? jsonForm(cmd) : undefined;
  const subcommand = role === 'coordinator' ? 'coordinator' : 'worker';
  if (command?.[0] !== subcommand) found.push(`CMD must be JSON and start with the ${subcommand} command`);
  if (final.instructions.some((i) => i.getKeyword() === 'RUN' && /\bpnpm install\b/.test(content(i, final.args)))) found.push('the final stage must not install dependencies (copy the production ones)');
  const finalCopies = final.instructions.filter((i) => i.getKeyword() === 'COPY');
  if (!finalCopies.some((i) => fromFlag(i) === prodInstall?.stage.name)) found.push('the final stage must copy the production dependencies');
  for (const dir of cliPackages(repo)) {
    if (!finalCopies.some((i) => fromFlag(i) === buildRun?.stage.name && words(i).some((w) => w === `${dir}/dist` || w.endsWith(`/${dir}/dist`)))) found.push(`the final stage must copy ${dir}/dist from the build`);
  }
  if (!finalCopies.some((i) => fromFlag(i) === undefined && words(i)[0] === 'proto')) found.push('the final stage must copy proto/ (loaded at run time)');

  const nodeVersion = globals.get('NODE_VERSION') ?? '';
  const [major, minor] = nodeVersion.split('.').map(Number);
  if (major !== 20 || !(minor! >= 19)) found.push(`NODE_VERSION ${nodeVersion}: the repository wants Node 20.19 or later 20.x`);

  if (role === 'worker-gpu') {
    const tfjsCore = (JSON.parse(readFileSync(join(repo.root, 'packages/worker/package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies['@tensorflow/tfjs-core'];
    const alias = `@tensorflow/tfjs-node@npm:@tensorflow/tfjs-node-gpu@${tfjsCore}`;
    const gpuInstall = runs.find((r) => r.text.includes(alias));
    if (!gpuInstall) found.push(`tfjs-node-gpu must be installed as ${alias} (the worker imports @tensorflow/tfjs-node; same version as its tfjs-core)`);
    const cuda = /^nvidia\/cuda:(\d+\.\d+)\.\d+-cudnn(\d+)-runtime-/.exec(final.image);
    if (!cuda || cuda[1] !== '11.2' || cuda[2] !== '8') found.push(`the GPU runtime must be CUDA 11.2 with cuDNN 8 (tfjs-node-gpu ${String(tfjsCore)}), not ${final.image}`);
    if (gpuInstall && gpuInstall.stage.image !== final.image) found.push('tfjs-node-gpu must be installed on the image it runs on');
    if (!final.instructions.some((i) => i.getKeyword() === 'RUN' && /ln -s \S+\/@tensorflow\/tfjs-node packages\/worker\/node_modules\/@tensorflow\/tfjs-node/.test(content(i, final.args)))) found.push('the GPU build must be linked where the worker resolves @tensorflow/tfjs-node');
    if (command && command[command.indexOf('--backend') + 1] !== 'tensorflow') found.push('the GPU worker must default to --backend tensorflow');
  } else {
    if (!/^node:20\.\d+\.\d+-bookworm-slim$/.test(final.image)) found.push(`the runtime must be node:<20.x.y>-bookworm-slim, not ${final.image}`);
    if (text.includes('tfjs-node-gpu')) found.push('only the GPU image installs tfjs-node-gpu');
  }

  if (dockerignore === undefined) found.push('no .dockerignore beside the Dockerfile');
  else {
    const patterns = dockerignore.split('\n').map((l) => l.trim());
    for (const required of ['**/node_modules', '**/dist']) if (!patterns.includes(required)) found.push(`the .dockerignore must exclude ${required} (host builds would leak into the image)`);
  }
  return found;
}
