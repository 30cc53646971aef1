import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cliPackages, dockerfileViolations, parseStages, workspacePackages, type Role } from './dockerfiles.js';

/**
 * deploy/docker/Dockerfile.* cannot be built here (no Docker engine), so they are parsed and held
 * to what the images must do: pinned base images, a frozen pnpm install of the whole workspace and
 * `pnpm build` in a build stage, production dependencies only in the image, uid 10001, the lrsweep
 * CLI as entrypoint, and for the GPU image tfjs-node-gpu on CUDA 11.2/cuDNN 8 under the name the
 * worker imports.
 */

const REPO = { root: fileURLToPath(new URL('../../', import.meta.url)) };
const DOCKER = join(REPO.root, 'deploy/docker');
const ROLES: Role[] = ['coordinator', 'worker', 'worker-gpu'];

function read(role: Role): { text: string; ignore: string | undefined } {
  const file = join(DOCKER, `Dockerfile.${role}`);
  const ignore = `${file}.dockerignore`;
  return { text: readFileSync(file, 'utf8'), ignore: existsSync(ignore) ? readFileSync(ignore, 'utf8') : undefined };
}

describe.each(ROLES)('Dockerfile.%s', (role) => {
  it('parses into named stages with pinned base images', () => {
    const { stages, errors } = parseStages(read(role).text);
    expect(errors).toEqual([]);
    expect(stages.length).toBeGreaterThanOrEqual(3);
    expect(stages.map((s) => s.name)).toContain('build');
    expect(stages.at(-1)!.name).toBe('runtime');
  });

  it('builds, installs and runs as the deployment expects', () => {
    const { text, ignore } = read(role);
    expect(dockerfileViolations(text, role, REPO, ignore)).toEqual([]);
  });
});

describe('Dockerfile checks', () => {
  it('know the workspace and what the CLI loads', () => {
    expect(workspacePackages(REPO)).toEqual(expect.arrayContaining(['bench', 'packages/cli', 'packages/coordinator', 'packages/shared', 'packages/worker', 'test']));
    expect(cliPackages(REPO)).toEqual(['packages/cli', 'packages/coordinator', 'packages/shared', 'packages/worker']);
  });

  const breakages: [string, Role, (text: string) => string, RegExp][] = [
    ['a floating base image', 'worker', (t) => t.replace('FROM node:${NODE_VERSION}-bookworm-slim AS runtime', 'FROM node:latest AS runtime'), /FROM node:latest: pin a version/],
    ['a base image without a tag', 'coordinator', (t) => t.replace('FROM node:${NODE_VERSION}-bookworm-slim AS manifests', 'FROM node AS manifests'), /FROM node: pin a version/],
    ['an undefined build argument', 'worker', (t) => t.replace('ARG NODE_VERSION=20.20.2\n', ''), /FROM node:\$\{NODE_VERSION\}-bookworm-slim: pin/],
    ['running as root', 'worker', (t) => t.replace('USER 10001:10001', 'USER root'), /must run as USER 10001 \(non-root\), not root/],
    ['no USER at all', 'coordinator', (t) => t.replace('USER 10001:10001\n', ''), /must run as USER 10001/],
    ['another entrypoint', 'worker-gpu', (t) => t.replace('ENTRYPOINT ["node", "packages/cli/dist/main.js"]', 'ENTRYPOINT node packages/cli/dist/main.js'), /ENTRYPOINT must be the lrsweep CLI/],
    ['the wrong default command', 'coordinator', (t) => t.replace('CMD ["coordinator",', 'CMD ["worker",'), /start with the coordinator command/],
    ['a workspace manifest left out', 'worker', (t) => t.replace('COPY bench/package.json bench/\n', ''), /bench\/package.json is not copied/],
    ['an unfrozen install', 'coordinator', (t) => t.replace('RUN pnpm install --frozen-lockfile --no-optional\n', 'RUN pnpm install --no-optional\n'), /--frozen-lockfile/],
    ['no build', 'worker', (t) => t.replace('RUN pnpm build', 'RUN true'), /no stage runs pnpm build/],
    ['dev dependencies in the image', 'worker', (t) => t.replace('COPY --from=prod-deps /app ./', 'COPY --from=build /app ./'), /copy the production dependencies/],
    ['a package missing from the image', 'coordinator', (t) => t.replace('COPY --from=build /app/packages/shared/dist packages/shared/dist\n', ''), /copy packages\/shared\/dist/],
    ['no protos at run time', 'worker-gpu', (t) => t.replace('COPY proto proto\nCOPY --from=tfjs-gpu', 'COPY --from=tfjs-gpu'), /copy proto\//],
    ['a stage that does not exist', 'worker', (t) => t.replace('COPY --from=build /app/packages/cli/dist', 'COPY --from=builder /app/packages/cli/dist'), /--from=builder: no earlier stage/],
    ['a source outside the repository', 'worker', (t) => t.replace('COPY proto proto', 'COPY protos proto'), /COPY protos: not in the repository/],
    ['a misspelt instruction', 'coordinator', (t) => t.replace('WORKDIR /app\nCOPY --from=prod-deps', 'WORKDIRR /app\nCOPY --from=prod-deps'), /unknown instruction WORKDIRR/],
    ['another pnpm', 'worker', (t) => t.replace('ARG PNPM_VERSION=10.34.8', 'ARG PNPM_VERSION=9.0.0'), /pnpm must be installed at the repository's version/],
    ['Node 18', 'worker', (t) => t.replace('ARG NODE_VERSION=20.20.2', 'ARG NODE_VERSION=18.20.4'), /NODE_VERSION 18.20.4/],
    ['tfjs-node-gpu under its own name', 'worker-gpu', (t) => t.replace('"@tensorflow/tfjs-node@npm:@tensorflow/tfjs-node-gpu@${TFJS_VERSION}"', '"@tensorflow/tfjs-node-gpu@${TFJS_VERSION}"'), /installed as @tensorflow\/tfjs-node@npm:@tensorflow\/tfjs-node-gpu@4.22.0/],
    ['a tfjs-node-gpu of another version', 'worker-gpu', (t) => t.replace('ARG TFJS_VERSION=4.22.0', 'ARG TFJS_VERSION=4.21.0'), /same version as its tfjs-core/],
    ['a CUDA the addon was not built for', 'worker-gpu', (t) => t.replaceAll('nvidia/cuda:11.2.2-cudnn8-runtime-ubuntu20.04', 'nvidia/cuda:12.2.2-cudnn8-runtime-ubuntu22.04'), /CUDA 11.2 with cuDNN 8/],
    ['the GPU build not linked for the worker', 'worker-gpu', (t) => t.replace(' && ln -s /opt/tfjs-gpu/node_modules/@tensorflow/tfjs-node packages/worker/node_modules/@tensorflow/tfjs-node \\\n', ''), /linked where the worker resolves/],
    ['a CPU image with the GPU build', 'worker', (t) => `${t}\nRUN echo tfjs-node-gpu\n`, /only the GPU image/],
  ];

  it.each(breakages)('reject %s (Dockerfile.%s)', (_what, role, breakIt, message) => {
    const { text, ignore } = read(role);
    const broken = breakIt(text);
    expect(broken, 'the breakage must change the file').not.toBe(text);
    expect(dockerfileViolations(broken, role, REPO, ignore)).toContainEqual(expect.stringMatching(message));
  });

  it('reject a build context that would carry host builds', () => {
    const { text } = read('worker');
    expect(dockerfileViolations(text, 'worker', REPO, undefined)).toContain('no .dockerignore beside the Dockerfile');
    expect(dockerfileViolations(text, 'worker', REPO, '.git\n**/dist\n')).toContainEqual(expect.stringMatching(/must exclude \*\*\/node_modules/));
  });
});
