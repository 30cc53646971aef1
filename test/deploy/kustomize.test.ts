import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { KustomizeError, parseYamlDocuments, renderKustomization, resourceId, retagImage, splitImage, strategicMerge, type KubeObject } from './kustomize.js';

const DEPLOY = fileURLToPath(new URL('../../deploy/k8s/', import.meta.url));

/** `kubectl kustomize` where kubectl is installed (it embeds kustomize), for a second opinion. */
function kubectlKustomize(dir: string): KubeObject[] | undefined {
  const run = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 60_000 });
  if (run.error || run.status !== 0) return undefined;
  return parseYamlDocuments(run.stdout, `kubectl kustomize ${dir}`) as KubeObject[];
}
const hasKubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8', timeout: 30_000 }).status === 0;

const byId = (objects: readonly KubeObject[]) => [...objects].sort((a, b) => resourceId(a).localeCompare(resourceId(b)));

const scratch = mkdtempSync(join(tmpdir(), 'lrsweep-kustomize-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let fixtureCount = 0;

/** Writes `files` (path → text) into a fresh folder and returns it. */
function fixture(files: Record<string, string>): string {
  const root = join(scratch, `f${fixtureCount++}`);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const BASE_DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
  labels: {app: x}
spec:
  selector: {matchLabels: {app: x}}
  template:
    metadata: {labels: {app: x}}
    spec:
      initContainers:
        - {name: init, image: "registry.local:5000/tools/init:1.0"}
      containers:
        - name: main
          image: example/app:1.0
          args: [serve, --port, "80"]
          env: [{name: A, value: "1"}, {name: B, value: "2"}]
          ports: [{name: http, containerPort: 80}, {name: metrics, containerPort: 9090}]
          resources: {requests: {cpu: "1"}, limits: {memory: 1Gi}}
          securityContext: {readOnlyRootFilesystem: true, runAsUser: 5}
        - name: sidecar
          image: example/sidecar@sha256:${'a'.repeat(64)}
      volumes: [{name: v1, emptyDir: {}}]
---
apiVersion: v1
kind: Service
metadata: {name: app}
spec:
  selector: {app: x}
  ports: [{name: http, port: 80}]
`;

const BASE = {
  'base/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [app.yaml, ns.yaml]\nlabels:\n  - pairs: {team: ml}\n',
  'base/app.yaml': BASE_DEPLOYMENT,
  'base/ns.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata: {name: apps}\n',
};

const OVERLAY_PATCH = `apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec:
  replicas: 3
  template:
    spec:
      nodeSelector: {gpu: "true"}
      containers:
        - name: extra
          image: example/extra:2
        - name: main
          args: [serve, --port, "8080"]
          env: [{name: C, value: "3"}, {name: A, value: "9"}, {name: D, value: "4"}]
          ports: [{name: grpc, containerPort: 50051}]
          resources: {limits: {example.com/gpu: 1}}
          securityContext: {runAsUser: null}
      volumes: [{name: v2, emptyDir: {}}]
`;

const OVERLAY = {
  ...BASE,
  'overlay/kustomization.yaml': `resources: [../base]
namespace: team-ns
labels:
  - pairs: {env: prod}
images:
  - {name: example/app, newName: mirror.local/app, newTag: "2.0"}
  - {name: example/sidecar, newTag: "3"}
  - {name: registry.local:5000/tools/init, digest: "sha256:${'b'.repeat(64)}"}
patches:
  - path: patch.yaml
  - patch: |
      apiVersion: apps/v1
      kind: Deployment
      metadata: {name: app}
      spec:
        template:
          spec:
            terminationGracePeriodSeconds: 60
`,
  'overlay/patch.yaml': OVERLAY_PATCH,
};

describe('kustomize renderer', () => {
  it('renders resources, labels, namespace, images and strategic-merge patches as kustomize does', () => {
    const root = fixture(OVERLAY);
    const objects = renderKustomization(join(root, 'overlay'));
    const [deployment, service, namespace] = objects;
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['Deployment/app', 'Service/app', 'Namespace/team-ns']);

    // as in kustomize, `namespace:` renames a Namespace object rather than dropping it
    expect(namespace!.metadata).toEqual({ name: 'team-ns', labels: { team: 'ml', env: 'prod' } });
    expect(service!.metadata).toEqual({ name: 'app', namespace: 'team-ns', labels: { team: 'ml', env: 'prod' } });
    expect(deployment!.metadata).toEqual({ name: 'app', namespace: 'team-ns', labels: { app: 'x', team: 'ml', env: 'prod' } });

    const spec = deployment!.spec as { replicas: number; selector: unknown; template: { metadata: unknown; spec: Record<string, unknown> } };
    expect(spec.replicas).toBe(3);
    // labels with plain pairs touch metadata only, never selectors or pod templates
    expect(spec.selector).toEqual({ matchLabels: { app: 'x' } });
    expect(spec.template.metadata).toEqual({ labels: { app: 'x' } });
    expect(spec.template.spec.nodeSelector).toEqual({ gpu: 'true' });
    expect(spec.template.spec.terminationGracePeriodSeconds).toBe(60);
    expect(spec.template.spec.initContainers).toEqual([{ name: 'init', image: `registry.local:5000/tools/init@sha256:${'b'.repeat(64)}` }]);
    expect(spec.template.spec.volumes).toEqual([
      { name: 'v2', emptyDir: {} },
      { name: 'v1', emptyDir: {} },
    ]);
    expect(spec.template.spec.containers).toEqual([
      { name: 'extra', image: 'example/extra:2' },
      {
        name: 'main',
        image: 'mirror.local/app:2.0',
        args: ['serve', '--port', '8080'],
        env: [
          { name: 'C', value: '3' },
          { name: 'A', value: '9' },
          { name: 'D', value: '4' },
          { name: 'B', value: '2' },
        ],
        ports: [
          { name: 'grpc', containerPort: 50051 },
          { name: 'http', containerPort: 80 },
          { name: 'metrics', containerPort: 9090 },
        ],
        resources: { requests: { cpu: '1' }, limits: { memory: '1Gi', 'example.com/gpu': 1 } },
        securityContext: { readOnlyRootFilesystem: true },
      },
      { name: 'sidecar', image: 'example/sidecar:3' },
    ]);
  });

  it.skipIf(!hasKubectl)('agrees with kubectl kustomize on the fixture', () => {
    const root = fixture(OVERLAY);
    for (const dir of ['base', 'overlay']) {
      const theirs = kubectlKustomize(join(root, dir));
      expect(theirs, `kubectl kustomize ${dir}`).toBeDefined();
      expect(byId(renderKustomization(join(root, dir)))).toEqual(byId(theirs!));
    }
  });

  it.skipIf(!hasKubectl)('agrees with kubectl kustomize on deploy/k8s', () => {
    for (const dir of ['base', 'overlays/cpu', 'overlays/gpu']) {
      const theirs = kubectlKustomize(join(DEPLOY, dir));
      expect(theirs, `kubectl kustomize ${dir}`).toBeDefined();
      expect(byId(renderKustomization(join(DEPLOY, dir)))).toEqual(byId(theirs!));
    }
  });

  it('does not change the objects it merges', () => {
    const original = { spec: { list: [1, 2], env: [{ name: 'A', value: '1' }] } };
    const copy = structuredClone(original);
    const merged = strategicMerge(original, { spec: { list: [3], env: [{ name: 'A', value: '2' }] } });
    expect(original).toEqual(copy);
    expect(merged).toEqual({ spec: { list: [3], env: [{ name: 'A', value: '2' }] } });
  });

  it('splits and retags image references like kustomize', () => {
    expect(splitImage('nginx')).toEqual({ name: 'nginx' });
    expect(splitImage('localhost:5000/a/b:1.2')).toEqual({ name: 'localhost:5000/a/b', tag: '1.2' });
    expect(splitImage('a/b:1@sha256:abc')).toEqual({ name: 'a/b', tag: '1', digest: 'sha256:abc' });
    expect(retagImage('a/b:1', { name: 'a/b', newTag: '2' })).toBe('a/b:2');
    expect(retagImage('a/b:1', { name: 'a/b', newName: 'c/d' })).toBe('c/d:1');
    expect(retagImage('a/b:1@sha256:abc', { name: 'a/b', newTag: '2' })).toBe('a/b:2');
    expect(retagImage('a/b:1', { name: 'a/b', newTag: '2', digest: 'sha256:def' })).toBe('a/b:2@sha256:def');
    expect(retagImage('a/bc:1', { name: 'a/b', newTag: '2' })).toBe('a/bc:1');
  });

  describe('refuses what it does not implement', () => {
    const cases: [string, Record<string, string>, RegExp][] = [
      ['an unsupported field', { 'k/kustomization.yaml': 'resources: [a.yaml]\nnamePrefix: x-\n', 'k/a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n' }, /field "namePrefix" is not supported/],
      ['a missing resource', { 'k/kustomization.yaml': 'resources: [missing.yaml]\n' }, /resource missing.yaml does not exist/],
      ['a remote resource', { 'k/kustomization.yaml': 'resources: [https://example.com/x.yaml]\n' }, /remote resource/],
      ['a duplicate resource', { 'k/kustomization.yaml': 'resources: [a.yaml, b.yaml]\n', 'k/a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n', 'k/b.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n' }, /defined twice/],
      ['a resource without a name', { 'k/kustomization.yaml': 'resources: [a.yaml]\n', 'k/a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n' }, /needs metadata.name/],
      ['a YAML syntax error', { 'k/kustomization.yaml': 'resources: [a.yaml]\n', 'k/a.yaml': 'apiVersion: v1\nkind: [\n' }, /a.yaml/],
      ['a patch that matches nothing', { ...BASE, 'k/kustomization.yaml': 'resources: [../base]\npatches: [{path: p.yaml}]\n', 'k/p.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: nope}\n' }, /no resource matches/],
      ['a JSON 6902 patch', { ...BASE, 'k/kustomization.yaml': 'resources: [../base]\npatches: [{path: p.yaml}]\n', 'k/p.yaml': '- {op: replace, path: /spec/replicas, value: 2}\n' }, /JSON 6902/],
      ['a patch with a target', { ...BASE, 'k/kustomization.yaml': 'resources: [../base]\npatches: [{path: p.yaml, target: {kind: Deployment}}]\n', 'k/p.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app}\n' }, /patches field "target"/],
      ['a $patch directive', { ...BASE, 'k/kustomization.yaml': 'resources: [../base]\npatches: [{path: p.yaml}]\n', 'k/p.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app}\nspec:\n  template:\n    spec:\n      containers:\n        - {name: main, $patch: delete}\n' }, /directives are not supported/],
      ['a patch on a Service', { ...BASE, 'k/kustomization.yaml': 'resources: [../base]\npatches: [{path: p.yaml}]\n', 'k/p.yaml': 'apiVersion: v1\nkind: Service\nmetadata: {name: app}\nspec: {type: NodePort}\n' }, /only apps\/v1 Deployments/],
      ['labels that reach selectors', { ...BASE, 'k/kustomization.yaml': 'resources: [../base]\nlabels: [{pairs: {a: b}, includeSelectors: true}]\n' }, /includeSelectors/],
      ['an unquoted numeric tag', { ...BASE, 'k/kustomization.yaml': 'resources: [../base]\nimages: [{name: example/app, newTag: 2}]\n' }, /must be a string/],
      ['a cycle', { 'a/kustomization.yaml': 'resources: [../b]\n', 'b/kustomization.yaml': 'resources: [../a]\n' }, /cycle/],
    ];
    it.each(cases)('%s', (_what, files, message) => {
      const root = fixture(files);
      const dir = Object.keys(files).some((f) => f.startsWith('k/')) ? 'k' : 'a';
      expect(() => renderKustomization(join(root, dir))).toThrow(KustomizeError);
      expect(() => renderKustomization(join(root, dir))).toThrow(message);
    });
  });
});
