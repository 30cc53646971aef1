import type { KubeObject } from './kustomize.js';
import { podSpec, splitImage } from './kustomize.js';

/**
 * What the Kubernetes schemas cannot say about our manifests: every rule returns a list of
 * violations (empty when the objects pass), so the tests can show that a broken copy fails.
 */

type Obj = Record<string, unknown>;

export type Flavour = 'base' | 'cpu' | 'gpu';

export const GPU_RESOURCE = 'nvidia.com/gpu';
export const RUN_AS_USER = 10001;
export const PROMETHEUS_RELEASE_LABEL = { release: 'kube-prometheus-stack' } as const;

/** Top-level fields each kind may have (status and the like are the cluster's to write). */
const TOP_LEVEL: Readonly<Record<string, readonly string[]>> = {
  ServiceAccount: ['apiVersion', 'kind', 'metadata', 'automountServiceAccountToken', 'imagePullSecrets', 'secrets'],
  ConfigMap: ['apiVersion', 'kind', 'metadata', 'data', 'binaryData', 'immutable'],
  Secret: ['apiVersion', 'kind', 'metadata', 'data', 'stringData', 'type', 'immutable'],
};
const DEFAULT_TOP_LEVEL = ['apiVersion', 'kind', 'metadata', 'spec'];
const METADATA_FIELDS = ['name', 'namespace', 'labels', 'annotations'];

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
function objs(value: unknown): Obj[] {
  return Array.isArray(value) ? value.filter(isObj) : [];
}
function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
function labelsOf(value: unknown): Record<string, string> {
  return isObj(value) ? (value as Record<string, string>) : {};
}
function name(object: KubeObject): string {
  return `${object.kind} ${object.metadata.name}`;
}

/** True when every label of the selector is on `labels` (an empty selector matches nothing here). */
export function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
  const entries = Object.entries(selector);
  return entries.length > 0 && entries.every(([k, v]) => labels[k] === v);
}

/** A Kubernetes quantity as a number (`250m` → 0.25, `2Gi` → 2147483648). */
export function quantity(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return Number.NaN;
  const match = /^([+-]?[0-9.]+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/.exec(value);
  if (!match) return Number.NaN;
  const factors: Record<string, number> = { m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
  return Number(match[1]) * (match[2] ? factors[match[2]]! : 1);
}

/** An image reference with a real version: a tag other than `latest`, or a digest. */
export function isPinnedImage(image: unknown): boolean {
  if (typeof image !== 'string' || image.trim() === '' || /\s/.test(image)) return false;
  const { tag, digest } = splitImage(image);
  if (digest) return /^sha256:[0-9a-f]{64}$/.test(digest);
  return tag !== undefined && tag !== '' && tag !== 'latest';
}

/** The value following `flag` in an argument list (`--slots 4`), if any. */
export function flagValue(args: readonly string[], flag: string): string | undefined {
  const at = args.indexOf(flag);
  return at >= 0 ? args[at + 1] : undefined;
}

interface PodTemplate {
  owner: KubeObject;
  labels: Record<string, string>;
  spec: Obj;
  containers: Obj[];
  initContainers: Obj[];
}

export function podTemplates(objects: readonly KubeObject[]): PodTemplate[] {
  const templates: PodTemplate[] = [];
  for (const owner of objects) {
    const spec = podSpec(owner);
    if (!spec) continue;
    const template = isObj(owner.spec) && isObj(owner.spec.template) ? owner.spec.template : {};
    templates.push({ owner, labels: labelsOf(isObj(template.metadata) ? template.metadata.labels : undefined), spec, containers: objs(spec.containers), initContainers: objs(spec.initContainers) });
  }
  return templates;
}

const PORT_NAME = /^(?=.{1,15}$)(?=.*[a-z])[a-z0-9]+(-[a-z0-9]+)*$/;

/** Rules that hold for any object we ship. */
export function genericViolations(objects: readonly KubeObject[]): string[] {
  const found: string[] = [];
  const templates = podTemplates(objects);

  for (const object of objects) {
    const allowed = TOP_LEVEL[object.kind] ?? DEFAULT_TOP_LEVEL;
    for (const key of Object.keys(object)) if (!allowed.includes(key)) found.push(`${name(object)}: unknown top-level field "${key}"`);
    for (const key of Object.keys(object.metadata)) if (!METADATA_FIELDS.includes(key)) found.push(`${name(object)}: metadata.${key} is not set by hand`);
    const labels = labelsOf(object.metadata.labels);
    if (labels['app.kubernetes.io/name'] !== 'lrsweep') found.push(`${name(object)}: label app.kubernetes.io/name=lrsweep missing`);
  }

  for (const { owner, labels, spec, containers, initContainers } of templates) {
    const where = name(owner);
    const ownerSpec = owner.spec as Obj;
    const selector = isObj(ownerSpec.selector) ? ownerSpec.selector : {};
    if (Object.keys(selector).some((k) => k !== 'matchLabels')) found.push(`${where}: selector must use matchLabels only`);
    if (!selects(labelsOf(selector.matchLabels), labels)) found.push(`${where}: selector.matchLabels does not match the pod template's labels`);

    const security = isObj(spec.securityContext) ? spec.securityContext : {};
    if (security.runAsNonRoot !== true) found.push(`${where}: pod securityContext.runAsNonRoot must be true`);
    if (security.runAsUser !== RUN_AS_USER) found.push(`${where}: pod securityContext.runAsUser must be ${RUN_AS_USER}`);
    if (!isObj(security.seccompProfile) || security.seccompProfile.type !== 'RuntimeDefault') found.push(`${where}: pod securityContext.seccompProfile.type must be RuntimeDefault`);
    if (spec.hostNetwork === true || spec.hostPID === true || spec.hostIPC === true) found.push(`${where}: pods must not share the host's namespaces`);

    const volumes = new Map(objs(spec.volumes).map((v) => [v.name, v]));
    const env = (container: Obj) => new Set(objs(container.env).map((e) => e.name));
    if (objs(spec.volumes).length !== volumes.size) found.push(`${where}: volume names must be unique`);

    for (const container of [...initContainers, ...containers]) {
      const at = `${where} container ${String(container.name)}`;
      const isInit = initContainers.includes(container);
      if (!isPinnedImage(container.image)) found.push(`${at}: image ${JSON.stringify(container.image)} must be pinned (a tag other than latest, or a digest)`);

      const sc = isObj(container.securityContext) ? container.securityContext : {};
      if (sc.allowPrivilegeEscalation !== false) found.push(`${at}: securityContext.allowPrivilegeEscalation must be false`);
      if (sc.readOnlyRootFilesystem !== true) found.push(`${at}: securityContext.readOnlyRootFilesystem must be true`);
      if (sc.privileged === true) found.push(`${at}: must not be privileged`);
      const drop = isObj(sc.capabilities) ? strings(sc.capabilities.drop) : [];
      if (!drop.includes('ALL')) found.push(`${at}: securityContext.capabilities.drop must include ALL`);
      if (isObj(sc.capabilities) && strings(sc.capabilities.add).length > 0) found.push(`${at}: must not add capabilities`);
      if (sc.runAsUser !== undefined && sc.runAsUser !== RUN_AS_USER) found.push(`${at}: securityContext.runAsUser overrides the pod's ${RUN_AS_USER}`);

      const mounts = objs(container.volumeMounts);
      for (const mount of mounts) if (!volumes.has(mount.name)) found.push(`${at}: volumeMount ${String(mount.name)} has no volume`);
      const tmp = mounts.find((m) => m.mountPath === '/tmp');
      if (!tmp || !isObj(volumes.get(tmp.name)?.emptyDir)) found.push(`${at}: needs an emptyDir mounted at /tmp (the root file system is read-only)`);

      const resources = isObj(container.resources) ? container.resources : {};
      const requests = isObj(resources.requests) ? resources.requests : {};
      const limits = isObj(resources.limits) ? resources.limits : {};
      for (const r of ['cpu', 'memory']) if (!(quantity(requests[r]) > 0)) found.push(`${at}: resources.requests.${r} must be set`);
      if (!(quantity(limits.memory) > 0)) found.push(`${at}: resources.limits.memory must be set`);
      for (const [r, limit] of Object.entries(limits)) {
        if (requests[r] !== undefined && quantity(requests[r]) > quantity(limit)) found.push(`${at}: requests.${r} exceeds limits.${r}`);
      }
      if (requests[GPU_RESOURCE] !== undefined) found.push(`${at}: ${GPU_RESOURCE} belongs in limits only`);

      const ports = objs(container.ports);
      const portNames = new Set(ports.map((p) => p.name));
      for (const port of ports) {
        if (typeof port.name !== 'string' || !PORT_NAME.test(port.name)) found.push(`${at}: port ${String(port.containerPort)} needs a name (lowercase, at most 15 characters)`);
      }
      if (portNames.size !== ports.length) found.push(`${at}: port names must be unique`);

      if (!isInit) {
        for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe'] as const) {
          const p = container[probe];
          if (!isObj(p)) {
            found.push(`${at}: ${probe} missing`);
            continue;
          }
          const handlers = ['grpc', 'httpGet', 'tcpSocket', 'exec'].filter((h) => p[h] !== undefined);
          if (handlers.length !== 1) found.push(`${at}: ${probe} needs exactly one handler`);
          const port = isObj(p.grpc) ? p.grpc.port : isObj(p.httpGet) ? p.httpGet.port : isObj(p.tcpSocket) ? p.tcpSocket.port : undefined;
          if (port !== undefined && !ports.some((q) => q.containerPort === port || q.name === port)) found.push(`${at}: ${probe} probes port ${JSON.stringify(port)}, which the container does not declare`);
        }
      }

      const defined = env(container);
      for (const arg of [...strings(container.command), ...strings(container.args)]) {
        for (const match of arg.matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)) {
          if (!defined.has(match[1])) found.push(`${at}: $(${match[1]}) is used but not defined in env`);
        }
      }
    }
  }

  for (const object of objects) {
    if (object.kind === 'Service') found.push(...serviceViolations(object, templates));
    if (object.kind === 'PodDisruptionBudget') {
      const spec = object.spec as Obj;
      const budgets = ['minAvailable', 'maxUnavailable'].filter((k) => spec[k] !== undefined);
      if (budgets.length !== 1) found.push(`${name(object)}: needs exactly one of minAvailable and maxUnavailable`);
      const selector = isObj(spec.selector) ? labelsOf(spec.selector.matchLabels) : {};
      if (!templates.some((t) => selects(selector, t.labels))) found.push(`${name(object)}: selector matches no pod template`);
    }
    if (object.kind === 'ServiceMonitor') found.push(...serviceMonitorViolations(object, objects));
    if (object.kind === 'PodMonitor') found.push(...podMonitorViolations(object, templates));
  }
  return found;
}

function serviceViolations(service: KubeObject, templates: readonly PodTemplate[]): string[] {
  const found: string[] = [];
  const spec = service.spec as Obj;
  const selector = labelsOf(spec.selector);
  const matched = templates.filter((t) => selects(selector, t.labels));
  if (matched.length === 0) found.push(`${name(service)}: selector matches no pod template`);
  const ports = objs(spec.ports);
  if (ports.length === 0) found.push(`${name(service)}: has no ports`);
  for (const port of ports) {
    if (typeof port.name !== 'string' || !PORT_NAME.test(port.name)) found.push(`${name(service)}: port ${String(port.port)} needs a name`);
    const target = port.targetPort ?? port.port;
    for (const t of matched) {
      const declared = t.containers.flatMap((c) => objs(c.ports));
      if (!declared.some((p) => p.name === target || p.containerPort === target)) found.push(`${name(service)}: targetPort ${String(target)} is not a port of ${name(t.owner)}`);
    }
  }
  return found;
}

function serviceMonitorViolations(monitor: KubeObject, objects: readonly KubeObject[]): string[] {
  const found: string[] = [];
  if (!selects(PROMETHEUS_RELEASE_LABEL, labelsOf(monitor.metadata.labels))) found.push(`${name(monitor)}: needs label release=kube-prometheus-stack`);
  const spec = monitor.spec as Obj;
  const selector = isObj(spec.selector) ? labelsOf(spec.selector.matchLabels) : {};
  const services = objects.filter((o) => o.kind === 'Service' && selects(selector, labelsOf(o.metadata.labels)));
  if (services.length === 0) found.push(`${name(monitor)}: selector matches no Service`);
  const endpoints = objs(spec.endpoints);
  if (endpoints.length === 0) found.push(`${name(monitor)}: has no endpoints`);
  for (const endpoint of endpoints) {
    for (const service of services) {
      if (!objs((service.spec as Obj).ports).some((p) => p.name === endpoint.port)) found.push(`${name(monitor)}: ${name(service)} has no port named ${String(endpoint.port)}`);
    }
  }
  return found;
}

function podMonitorViolations(monitor: KubeObject, templates: readonly PodTemplate[]): string[] {
  const found: string[] = [];
  if (!selects(PROMETHEUS_RELEASE_LABEL, labelsOf(monitor.metadata.labels))) found.push(`${name(monitor)}: needs label release=kube-prometheus-stack`);
  const spec = monitor.spec as Obj;
  const selector = isObj(spec.selector) ? labelsOf(spec.selector.matchLabels) : {};
  const matched = templates.filter((t) => selects(selector, t.labels));
  if (matched.length === 0) found.push(`${name(monitor)}: selector matches no pod template`);
  const endpoints = objs(spec.podMetricsEndpoints);
  if (endpoints.length === 0) found.push(`${name(monitor)}: has no podMetricsEndpoints`);
  for (const endpoint of endpoints) {
    for (const t of matched) {
      if (!t.containers.some((c) => objs(c.ports).some((p) => p.name === endpoint.port))) found.push(`${name(monitor)}: ${name(t.owner)} has no port named ${String(endpoint.port)}`);
    }
  }
  return found;
}

function find(objects: readonly KubeObject[], kind: string, objectName: string): KubeObject | undefined {
  return objects.find((o) => o.kind === kind && o.metadata.name === objectName);
}

function mainContainer(deployment: KubeObject, containerName: string): Obj | undefined {
  return podTemplates([deployment])[0]?.containers.find((c) => c.name === containerName);
}

function expectProbe(found: string[], at: string, probe: unknown, what: string, port: number, service?: string): void {
  const grpc = isObj(probe) && isObj(probe.grpc) ? probe.grpc : undefined;
  if (!grpc || grpc.port !== port || grpc.service !== service) found.push(`${at}: ${what} must be grpc {port: ${port}${service ? `, service: ${service}` : ''}}`);
}

function expectArgs(found: string[], at: string, args: readonly string[], expected: Record<string, string>): void {
  for (const [flag, value] of Object.entries(expected)) {
    if (flagValue(args, flag) !== value) found.push(`${at}: args need ${flag} ${value}`);
  }
}

/** What lrsweep's own deployment needs, per overlay. */
export function lrsweepViolations(objects: readonly KubeObject[], flavour: Flavour): string[] {
  const found: string[] = [];
  const required: [string, string][] = [
    ['Deployment', 'lrsweep-coordinator'],
    ['Service', 'lrsweep-coordinator'],
    ['PodDisruptionBudget', 'lrsweep-coordinator'],
    ['ServiceMonitor', 'lrsweep-coordinator'],
    ['Deployment', 'lrsweep-worker'],
    ['PodDisruptionBudget', 'lrsweep-worker'],
    ['PodMonitor', 'lrsweep-worker'],
  ];
  for (const [kind, objectName] of required) if (!find(objects, kind, objectName)) found.push(`${kind} ${objectName} missing`);
  if (flavour !== 'base') for (const object of objects) if (object.metadata.namespace !== 'lrsweep') found.push(`${name(object)}: must be in namespace lrsweep`);
  if (flavour !== 'gpu') {
    for (const t of podTemplates(objects)) {
      for (const c of [...t.initContainers, ...t.containers]) {
        const limits = isObj(c.resources) && isObj(c.resources.limits) ? c.resources.limits : {};
        if (limits[GPU_RESOURCE] !== undefined) found.push(`${name(t.owner)} container ${String(c.name)}: ${GPU_RESOURCE} only in the gpu overlay`);
      }
    }
  }

  const coordinator = find(objects, 'Deployment', 'lrsweep-coordinator');
  if (coordinator) {
    const spec = coordinator.spec as Obj;
    const at = 'Deployment lrsweep-coordinator';
    if (spec.replicas !== 1) found.push(`${at}: replicas must be 1 (sweeps live in its memory)`);
    if (!isObj(spec.strategy) || spec.strategy.type !== 'Recreate') found.push(`${at}: strategy must be Recreate`);
    const container = mainContainer(coordinator, 'coordinator');
    if (!container) found.push(`${at}: container coordinator missing`);
    else {
      const args = strings(container.args);
      if (args[0] !== 'coordinator') found.push(`${at}: args must start with the coordinator command`);
      expectArgs(found, at, args, { '--listen': '0.0.0.0:50051', '--nats': 'nats://nats:4222', '--metrics-port': '9464' });
      expectProbe(found, at, container.livenessProbe, 'livenessProbe', 50051);
      expectProbe(found, at, container.readinessProbe, 'readinessProbe', 50051, 'lrsweep.v1.SweepService');
      const ports = objs(container.ports);
      for (const [portName, number] of [['grpc', 50051], ['metrics', 9464]] as const) {
        if (!ports.some((p) => p.name === portName && p.containerPort === number)) found.push(`${at}: port ${portName} ${number} missing`);
      }
      const limits = isObj(container.resources) && isObj(container.resources.limits) ? container.resources.limits : {};
      if (limits[GPU_RESOURCE] !== undefined) found.push(`${at}: the coordinator needs no GPU`);
    }
  }

  const service = find(objects, 'Service', 'lrsweep-coordinator');
  if (service) {
    const spec = service.spec as Obj;
    if ((spec.type ?? 'ClusterIP') !== 'ClusterIP') found.push('Service lrsweep-coordinator: must be ClusterIP');
    const ports = objs(spec.ports);
    for (const [portName, number] of [['grpc', 50051], ['metrics', 9464]] as const) {
      if (!ports.some((p) => p.name === portName && p.port === number)) found.push(`Service lrsweep-coordinator: port ${portName} ${number} missing`);
    }
  }

  const pdbBudget = (pdbName: string, value: unknown) => {
    const pdb = find(objects, 'PodDisruptionBudget', pdbName);
    if (pdb && (pdb.spec as Obj).maxUnavailable !== value) found.push(`PodDisruptionBudget ${pdbName}: maxUnavailable must be ${String(value)}`);
  };
  pdbBudget('lrsweep-coordinator', 1);
  pdbBudget('lrsweep-worker', '25%');

  const worker = find(objects, 'Deployment', 'lrsweep-worker');
  if (worker) {
    const at = 'Deployment lrsweep-worker';
    const template = podTemplates([worker])[0];
    const container = mainContainer(worker, 'worker');
    if (!template || !container) found.push(`${at}: container worker missing`);
    else {
      const grace = template.spec.terminationGracePeriodSeconds;
      if (typeof grace !== 'number' || grace < 60) found.push(`${at}: terminationGracePeriodSeconds must be at least 60 (finish a step and report)`);
      const args = strings(container.args);
      if (args[0] !== 'worker') found.push(`${at}: args must start with the worker command`);
      expectArgs(found, at, args, { '--listen': '0.0.0.0:50052', '--advertise': '$(POD_IP):50052', '--nats': 'nats://nats:4222', '--metrics-port': '9464', '--models-dir': '/data/models' });
      const podIp = objs(container.env).find((e) => e.name === 'POD_IP');
      const fieldRef = isObj(podIp?.valueFrom) && isObj(podIp.valueFrom.fieldRef) ? podIp.valueFrom.fieldRef : undefined;
      if (fieldRef?.fieldPath !== 'status.podIP') found.push(`${at}: POD_IP must come from the downward API (status.podIP)`);
      expectProbe(found, at, container.livenessProbe, 'livenessProbe', 50052);
      expectProbe(found, at, container.readinessProbe, 'readinessProbe', 50052, 'lrsweep.v1.WorkerService');
      const models = objs(container.volumeMounts).find((m) => m.mountPath === '/data/models');
      if (!models) found.push(`${at}: needs a writable volume at /data/models`);

      const slots = Number(flagValue(args, '--slots'));
      if (!Number.isInteger(slots) || slots < 1) found.push(`${at}: --slots must be a positive integer`);
      const resources = isObj(container.resources) ? container.resources : {};
      const requests = isObj(resources.requests) ? resources.requests : {};
      const limits = isObj(resources.limits) ? resources.limits : {};
      const tolerations = objs(template.spec.tolerations);
      const nodeSelector = labelsOf(template.spec.nodeSelector);
      const image = typeof container.image === 'string' ? splitImage(container.image).name : '';
      if (flavour === 'gpu') {
        if (quantity(limits[GPU_RESOURCE]) !== 1) found.push(`${at}: limits.${GPU_RESOURCE} must be 1`);
        if (!tolerations.some((t) => t.key === GPU_RESOURCE && t.effect === 'NoSchedule' && (t.operator === 'Exists' || t.operator === undefined || t.operator === 'Equal'))) found.push(`${at}: needs a ${GPU_RESOURCE} NoSchedule toleration`);
        if (Object.keys(nodeSelector).length === 0) found.push(`${at}: needs a nodeSelector for GPU nodes`);
        if (!image.endsWith('worker-gpu')) found.push(`${at}: must run the GPU worker image`);
        if (flagValue(args, '--backend') !== 'tensorflow') found.push(`${at}: GPU workers must force --backend tensorflow`);
      } else {
        if (image.endsWith('worker-gpu')) found.push(`${at}: the GPU image belongs to the gpu overlay`);
        if (quantity(requests.cpu) !== slots) found.push(`${at}: requests.cpu (${String(requests.cpu)}) must equal --slots (${slots})`);
      }
    }
  }
  return found;
}
