import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { schemaErrors, unknownFields } from './k8s-schema.js';
import { parseYamlDocuments, renderKustomization, type KubeObject } from './kustomize.js';
import { GPU_RESOURCE, genericViolations, isPinnedImage, lrsweepViolations, quantity, type Flavour } from './policy.js';

/**
 * The Kubernetes deployment in deploy/k8s, rendered offline (./kustomize.ts) for the base and each
 * overlay, then checked three ways: the Kubernetes schemas (kubernetes-models), fields the API does
 * not have (from the models' types), and the rules no schema states (./policy.ts). The broken
 * copies at the end show each kind of check failing.
 */

const DEPLOY = fileURLToPath(new URL('../../deploy/k8s/', import.meta.url));
const FLAVOURS: Record<Flavour, string> = { base: 'base', cpu: 'overlays/cpu', gpu: 'overlays/gpu' };

const renders = new Map<Flavour, KubeObject[]>();
/** A fresh copy of the rendered flavour (tests may change it). */
function rendered(flavour: Flavour): KubeObject[] {
  if (!renders.has(flavour)) renders.set(flavour, renderKustomization(join(DEPLOY, FLAVOURS[flavour])));
  return structuredClone(renders.get(flavour)!);
}

type Obj = Record<string, unknown>;
function get(objects: readonly KubeObject[], kind: string, name: string): KubeObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`${kind} ${name} not rendered`);
  return found;
}
/** The pod spec and first container of a Deployment, for reading and for breaking. */
function pod(objects: readonly KubeObject[], name: string): { spec: Obj; container: Obj & { resources: { requests: Obj; limits: Obj } } } {
  const template = (get(objects, 'Deployment', name).spec as { template: { spec: Obj & { containers: (Obj & { resources: { requests: Obj; limits: Obj } })[] } } }).template;
  return { spec: template.spec, container: template.spec.containers[0]! };
}

const EXPECTED_OBJECTS = [
  'Deployment/lrsweep-coordinator',
  'Deployment/lrsweep-worker',
  'PodDisruptionBudget/lrsweep-coordinator',
  'PodDisruptionBudget/lrsweep-worker',
  'PodMonitor/lrsweep-worker',
  'Service/lrsweep-coordinator',
  'ServiceAccount/lrsweep',
  'ServiceMonitor/lrsweep-coordinator',
];

describe.each(Object.keys(FLAVOURS) as Flavour[])('deploy/k8s %s', (flavour) => {
  it('renders the coordinator, the workers and their companions', () => {
    expect(rendered(flavour).map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(EXPECTED_OBJECTS);
  });

  it('passes the Kubernetes and prometheus-operator schemas', () => {
    expect(rendered(flavour).flatMap(schemaErrors)).toEqual([]);
  });

  it('uses no field the API does not have', () => {
    expect(unknownFields(rendered(flavour))).toEqual([]);
  });

  it('follows the rules schemas cannot state', () => {
    expect(genericViolations(rendered(flavour))).toEqual([]);
    expect(lrsweepViolations(rendered(flavour), flavour)).toEqual([]);
  });
});

describe('overlays', () => {
  it('cpu: workers get one core per slot and no GPU anywhere', () => {
    const objects = rendered('cpu');
    const { container } = pod(objects, 'lrsweep-worker');
    const args = container.args as string[];
    expect(args.slice(args.indexOf('--slots'), args.indexOf('--slots') + 2)).toEqual(['--slots', '4']);
    expect(quantity(container.resources.requests.cpu)).toBe(4);
    expect(args).toContain('wasm');
    expect(container.image).toBe('lrsweep/worker:0.1.0');
    expect(JSON.stringify(objects)).not.toContain(GPU_RESOURCE);
  });

  it('gpu: one GPU per worker in limits only, on tolerated GPU nodes, with the GPU image', () => {
    const objects = rendered('gpu');
    const { spec, container } = pod(objects, 'lrsweep-worker');
    expect(container.resources.limits[GPU_RESOURCE]).toBe(1);
    expect(container.resources.requests[GPU_RESOURCE]).toBeUndefined();
    expect(container.image).toBe('lrsweep/worker-gpu:0.1.0');
    expect(spec.tolerations).toEqual([{ key: GPU_RESOURCE, operator: 'Exists', effect: 'NoSchedule' }]);
    expect(spec.nodeSelector).toEqual({ 'nvidia.com/gpu.present': 'true' });
    // the patch merged into the base container rather than replacing it
    expect((container.env as Obj[]).map((e) => e.name).sort()).toEqual(['CUDA_CACHE_PATH', 'POD_IP', 'TF_FORCE_GPU_ALLOW_GROWTH']);
    expect((container.startupProbe as Obj).grpc).toEqual({ port: 50052 });
    expect(JSON.stringify(objects.filter((o) => o.metadata.name !== 'lrsweep-worker' || o.kind !== 'Deployment'))).not.toContain(GPU_RESOURCE);
  });

  it('overlays change the workers and the namespace, nothing else', () => {
    const base = rendered('base');
    for (const flavour of ['cpu', 'gpu'] as const) {
      const overlay = rendered(flavour);
      for (const object of overlay) {
        const { namespace, ...metadata } = object.metadata;
        expect(namespace).toBe('lrsweep');
        if (object.kind === 'Deployment' && object.metadata.name === 'lrsweep-worker') continue;
        const image = (o: KubeObject) => JSON.stringify(o).replaceAll(/"image":"[^"]*"/g, '');
        expect(image({ ...object, metadata })).toBe(image(get(base, object.kind, object.metadata.name)));
      }
    }
  });
});

describe('NATS (official Helm chart values)', () => {
  const values = parseYamlDocuments(readFileSync(join(DEPLOY, 'nats/values.yaml'), 'utf8'), 'nats/values.yaml')[0] as {
    config: { cluster: Obj; jetstream: { enabled: boolean; fileStore: { enabled: boolean; pvc: Obj } } };
    podDisruptionBudget: Obj;
    promExporter: { enabled: boolean; podMonitor: { enabled: boolean; merge: { metadata: { labels: Obj } } } };
  };

  it('runs a 3-node JetStream cluster on persistent file storage', () => {
    expect(values.config.cluster).toMatchObject({ enabled: true, replicas: 3 });
    expect(values.config.jetstream.enabled).toBe(true);
    expect(values.config.jetstream.fileStore.enabled).toBe(true);
    expect(values.config.jetstream.fileStore.pvc).toMatchObject({ enabled: true });
    expect(quantity(values.config.jetstream.fileStore.pvc.size)).toBeGreaterThanOrEqual(2 ** 30);
  });

  it('has a disruption budget and a PodMonitor Prometheus finds', () => {
    expect(values.podDisruptionBudget.enabled).toBe(true);
    expect(values.promExporter.enabled).toBe(true);
    expect(values.promExporter.podMonitor.enabled).toBe(true);
    expect(values.promExporter.podMonitor.merge.metadata.labels).toMatchObject({ release: 'kube-prometheus-stack' });
  });

  it('is installed under the name our pods dial (nats://nats:4222)', () => {
    const readme = readFileSync(join(DEPLOY, 'README.md'), 'utf8');
    expect(readme).toContain('helm install nats nats/nats');
    expect(readme).toContain('-f deploy/k8s/nats/values.yaml');
    for (const flavour of ['cpu', 'gpu'] as const) {
      expect(readme).toContain(`kubectl apply -k deploy/k8s/overlays/${flavour}`);
      for (const name of ['lrsweep-coordinator', 'lrsweep-worker']) expect(pod(rendered(flavour), name).container.args).toContain('nats://nats:4222');
    }
  });
});

describe('the checks catch broken manifests', () => {
  type Breakage = [string, Flavour, 'schema' | 'fields' | 'policy', RegExp, (objects: KubeObject[]) => void];
  const worker = (o: KubeObject[]) => pod(o, 'lrsweep-worker');
  const coordinator = (o: KubeObject[]) => pod(o, 'lrsweep-coordinator');
  const breakages: Breakage[] = [
    ['replicas as a string', 'cpu', 'schema', /replicas must be integer/, (o) => ((get(o, 'Deployment', 'lrsweep-worker').spec as Obj).replicas = '2')],
    ['a probe port that is not a number', 'cpu', 'schema', /port must be integer/, (o) => (((coordinator(o).container.livenessProbe as Obj).grpc as Obj).port = 'grpc')],
    ['a misspelt security field', 'cpu', 'fields', /containers\[0\]\.securityContext\.readOnlyRootFileSystem$/, (o) => {
      const sc = worker(o).container.securityContext as Obj;
      delete sc.readOnlyRootFilesystem;
      sc.readOnlyRootFileSystem = true;
    }],
    ['the same typo, seen by the policy', 'cpu', 'policy', /readOnlyRootFilesystem must be true/, (o) => {
      const sc = worker(o).container.securityContext as Obj;
      delete sc.readOnlyRootFilesystem;
      sc.readOnlyRootFileSystem = true;
    }],
    ['a misspelt ServiceMonitor field', 'gpu', 'fields', /ServiceMonitor lrsweep-coordinator: spec\.endpoint$/, (o) => ((get(o, 'ServiceMonitor', 'lrsweep-coordinator').spec as Obj).endpoint = [])],
    ['an unknown top-level key', 'cpu', 'policy', /unknown top-level field "replicaz"/, (o) => ((get(o, 'Deployment', 'lrsweep-worker') as Obj).replicaz = 2)],
    ['a status written by hand', 'cpu', 'policy', /unknown top-level field "status"/, (o) => ((get(o, 'Service', 'lrsweep-coordinator') as Obj).status = {})],
    ['an image without a tag', 'cpu', 'policy', /must be pinned/, (o) => (worker(o).container.image = 'lrsweep/worker')],
    ['an image tagged latest', 'gpu', 'policy', /must be pinned/, (o) => (coordinator(o).container.image = 'lrsweep/coordinator:latest')],
    ['a container without an image', 'cpu', 'policy', /image undefined must be pinned/, (o) => delete worker(o).container.image],
    ['no readiness probe', 'gpu', 'policy', /readinessProbe missing/, (o) => delete worker(o).container.readinessProbe],
    ['no startup probe', 'cpu', 'policy', /startupProbe missing/, (o) => delete coordinator(o).container.startupProbe],
    ['a readiness probe on the wrong service', 'cpu', 'policy', /readinessProbe must be grpc \{port: 50051, service: lrsweep.v1.SweepService\}/, (o) => (((coordinator(o).container.readinessProbe as Obj).grpc as Obj).service = 'lrsweep.v1.WorkerService')],
    ['a probe on an undeclared port', 'cpu', 'policy', /probes port 50053/, (o) => (((worker(o).container.livenessProbe as Obj).grpc as Obj).port = 50053)],
    ['a GPU in requests', 'gpu', 'policy', /belongs in limits only/, (o) => (worker(o).container.resources.requests[GPU_RESOURCE] = 1)],
    ['a GPU outside the gpu overlay', 'cpu', 'policy', /only in the gpu overlay/, (o) => (worker(o).container.resources.limits[GPU_RESOURCE] = 1)],
    ['a GPU worker without its toleration', 'gpu', 'policy', /NoSchedule toleration/, (o) => delete worker(o).spec.tolerations],
    ['a GPU worker on the CPU image', 'gpu', 'policy', /GPU worker image/, (o) => (worker(o).container.image = 'lrsweep/worker:0.1.0')],
    ['cpu requests that differ from the slots', 'cpu', 'policy', /requests.cpu \(3\) must equal --slots \(4\)/, (o) => (worker(o).container.resources.requests.cpu = '3')],
    ['no resource requests', 'cpu', 'policy', /requests.cpu must be set/, (o) => delete (worker(o).container.resources as Obj).requests],
    ['requests above limits', 'cpu', 'policy', /requests.memory exceeds limits.memory/, (o) => (coordinator(o).container.resources.requests.memory = '1Gi')],
    ['a selector that misses the template', 'cpu', 'policy', /selector.matchLabels does not match/, (o) => ((((get(o, 'Deployment', 'lrsweep-worker').spec as Obj).selector as Obj).matchLabels as Obj)['app.kubernetes.io/component'] = 'workers')],
    ['a Service that selects no pod', 'cpu', 'policy', /Service lrsweep-coordinator: selector matches no pod template/, (o) => (((get(o, 'Service', 'lrsweep-coordinator').spec as Obj).selector as Obj)['app.kubernetes.io/component'] = 'coord')],
    ['an unnamed container port', 'gpu', 'policy', /port 9464 needs a name/, (o) => delete (worker(o).container.ports as Obj[])[1]!.name],
    ['an unnamed Service port', 'cpu', 'policy', /port 50051 needs a name/, (o) => delete ((get(o, 'Service', 'lrsweep-coordinator').spec as Obj).ports as Obj[])[0]!.name],
    ['a ServiceMonitor on a port the Service lacks', 'cpu', 'policy', /has no port named metric/, (o) => ((((get(o, 'ServiceMonitor', 'lrsweep-coordinator').spec as Obj).endpoints as Obj[])[0]!).port = 'metric')],
    ['a PodMonitor Prometheus ignores', 'cpu', 'policy', /release=kube-prometheus-stack/, (o) => delete (get(o, 'PodMonitor', 'lrsweep-worker').metadata.labels as Obj).release],
    ['a pod running as root', 'cpu', 'policy', /runAsUser must be 10001/, (o) => ((worker(o).spec.securityContext as Obj).runAsUser = 0)],
    ['no seccomp profile', 'gpu', 'policy', /seccompProfile.type must be RuntimeDefault/, (o) => delete (coordinator(o).spec.securityContext as Obj).seccompProfile],
    ['privilege escalation allowed', 'cpu', 'policy', /allowPrivilegeEscalation must be false/, (o) => ((worker(o).container.securityContext as Obj).allowPrivilegeEscalation = true)],
    ['capabilities kept', 'cpu', 'policy', /capabilities.drop must include ALL/, (o) => delete (coordinator(o).container.securityContext as Obj).capabilities],
    ['no /tmp volume', 'cpu', 'policy', /emptyDir mounted at \/tmp/, (o) => (worker(o).container.volumeMounts = (worker(o).container.volumeMounts as Obj[]).filter((m) => m.mountPath !== '/tmp'))],
    ['a mount without a volume', 'cpu', 'policy', /volumeMount models has no volume/, (o) => (worker(o).spec.volumes = (worker(o).spec.volumes as Obj[]).filter((v) => v.name !== 'models'))],
    ['POD_IP not defined', 'cpu', 'policy', /\$\(POD_IP\) is used but not defined in env/, (o) => (worker(o).container.env = [])],
    ['a coordinator that rolls', 'cpu', 'policy', /strategy must be Recreate/, (o) => ((get(o, 'Deployment', 'lrsweep-coordinator').spec as Obj).strategy = { type: 'RollingUpdate' })],
    ['a short grace period', 'cpu', 'policy', /terminationGracePeriodSeconds must be at least 60/, (o) => (worker(o).spec.terminationGracePeriodSeconds = 5)],
    ['a PDB that blocks drains', 'cpu', 'policy', /maxUnavailable must be 1/, (o) => {
      const spec = get(o, 'PodDisruptionBudget', 'lrsweep-coordinator').spec as Obj;
      delete spec.maxUnavailable;
      spec.minAvailable = 1;
    }],
    ['a worker without the metrics flag', 'cpu', 'policy', /args need --metrics-port 9464/, (o) => (worker(o).container.args = (worker(o).container.args as string[]).filter((a) => a !== '--metrics-port' && a !== '9464'))],
  ];

  it.each(breakages)('%s (%s overlay, %s check)', (_what, flavour, check, message, breakIt) => {
    const objects = rendered(flavour);
    breakIt(objects);
    const found = check === 'schema' ? objects.flatMap(schemaErrors) : check === 'fields' ? unknownFields(objects) : [...genericViolations(objects), ...lrsweepViolations(objects, flavour)];
    expect(found).toContainEqual(expect.stringMatching(message));
  });

  it('an apiVersion/kind without a schema is an error', () => {
    const objects = rendered('cpu');
    get(objects, 'Service', 'lrsweep-coordinator').apiVersion = 'v2';
    expect(objects.flatMap(schemaErrors)).toEqual(['Service lrsweep-coordinator: no schema for v2 Service']);
  });

  it('reads quantities and image pins', () => {
    expect([quantity('250m'), quantity('2'), quantity(4), quantity('2Gi'), quantity('1.5k'), quantity('x')]).toEqual([0.25, 2, 4, 2 ** 31, 1500, Number.NaN]);
    expect(['a:1', 'a/b:1.2.3', 'reg:5000/a:1', `a@sha256:${'0'.repeat(64)}`].map(isPinnedImage)).toEqual([true, true, true, true]);
    expect(['a', 'a:latest', 'reg:5000/a', 'a@sha256:short', '', 'a: 1', undefined].map(isPinnedImage)).toEqual([false, false, false, false, false, false, false]);
  });
});
