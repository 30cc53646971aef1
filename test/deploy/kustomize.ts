import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

/**
 * A small kustomize renderer for exactly the features `deploy/k8s` uses, so the manifests can be
 * built and checked offline with nothing but Node (no kustomize or kubectl on npm or Debian).
 *
 * Supported, with kustomize's semantics and order (patches, then namespace, then labels, then
 * images, each kustomization fully rendered before the one that includes it):
 * - `resources`: YAML files (several documents each) and folders holding a kustomization;
 * - `patches`: strategic-merge patches (`path:` or inline `patch:`) on apps/v1 Deployments,
 *   targeted by the patch's own kind and name; maps merge, `null` deletes a key, lists of
 *   containers/env/volumes/... merge by their Kubernetes merge key in the order the API server's
 *   strategic merge gives, other lists are replaced;
 * - `namespace`: set on every namespaced object;
 * - `labels` with plain `pairs` (metadata labels only, as `includeSelectors: false` does);
 * - `images`: `name` with `newName`, `newTag` and/or `digest`, on pod templates' containers.
 *
 * Anything else (another field, a JSON 6902 patch, a `$patch` directive, a patch that matches
 * nothing) is an error rather than silently ignored: a manifest change that needs more of
 * kustomize fails the tests until this file learns it. Where kubectl is installed, the tests also
 * compare this output with `kubectl kustomize`.
 */

export type KubeObject = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: Record<string, unknown> & { name: string; namespace?: string; labels?: Record<string, string> };
};

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];
const SUPPORTED_FIELDS = new Set(['apiVersion', 'kind', 'resources', 'namespace', 'labels', 'images', 'patches']);

/** Kinds kustomize never gives a namespace (the cluster-scoped ones that a deployment might hold). */
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'PersistentVolume',
  'StorageClass',
  'PriorityClass',
  'IngressClass',
  'RuntimeClass',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
  'APIService',
]);

/** Merge keys of the lists in a PodSpec (`patchMergeKey` in k8s.io/api); other lists are replaced. */
const POD_SPEC_MERGE_KEYS: Readonly<Record<string, string>> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  ports: 'containerPort',
  imagePullSecrets: 'name',
  hostAliases: 'ip',
  topologySpreadConstraints: 'topologyKey',
  resourceClaims: 'name',
  schedulingGates: 'name',
};

export class KustomizeError extends Error {
  override name = 'KustomizeError';
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

/** Parses every non-empty YAML document of a file; a syntax error names the file. */
export function parseYamlDocuments(text: string, source: string): unknown[] {
  const docs = parseAllDocuments(text);
  const values: unknown[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) throw new KustomizeError(`${source}: ${doc.errors[0]!.message}`);
    const value: unknown = doc.toJS();
    if (value !== null && value !== undefined) values.push(value);
  }
  return values;
}

function asKubeObject(value: unknown, source: string): KubeObject {
  if (!isObject(value)) throw new KustomizeError(`${source}: a resource must be a mapping`);
  const { apiVersion, kind, metadata } = value;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') throw new KustomizeError(`${source}: a resource needs apiVersion and kind`);
  if (!isObject(metadata) || typeof metadata.name !== 'string' || metadata.name === '') throw new KustomizeError(`${source}: ${kind} needs metadata.name`);
  return value as unknown as KubeObject;
}

/** kustomize's resource id: group, kind, namespace and name. */
export function resourceId(object: KubeObject): string {
  const group = object.apiVersion.includes('/') ? object.apiVersion.split('/')[0] : '';
  return `${group}/${object.kind}/${object.metadata.namespace ?? '~'}/${object.metadata.name}`;
}

function readKustomization(dir: string): { file: string; spec: JsonObject } {
  const file = KUSTOMIZATION_FILES.map((name) => join(dir, name)).find((path) => existsSync(path));
  if (!file) throw new KustomizeError(`${dir}: no kustomization.yaml`);
  const docs = parseYamlDocuments(readFileSync(file, 'utf8'), file);
  if (docs.length !== 1 || !isObject(docs[0])) throw new KustomizeError(`${file}: must be one YAML mapping`);
  const spec = docs[0];
  for (const key of Object.keys(spec)) {
    if (!SUPPORTED_FIELDS.has(key)) throw new KustomizeError(`${file}: field "${key}" is not supported by this renderer`);
  }
  if (spec.apiVersion !== undefined && spec.apiVersion !== 'kustomize.config.k8s.io/v1beta1') throw new KustomizeError(`${file}: apiVersion must be kustomize.config.k8s.io/v1beta1`);
  if (spec.kind !== undefined && spec.kind !== 'Kustomization') throw new KustomizeError(`${file}: kind must be Kustomization`);
  return { file, spec };
}

function stringList(value: Json | undefined, field: string, file: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw new KustomizeError(`${file}: ${field} must be a list of strings`);
  return value;
}

function objectList(value: Json | undefined, field: string, file: string): JsonObject[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every(isObject)) throw new KustomizeError(`${file}: ${field} must be a list of mappings`);
  return value;
}

function checkKeys(entry: JsonObject, allowed: readonly string[], what: string, file: string): void {
  for (const key of Object.keys(entry)) {
    if (!allowed.includes(key)) throw new KustomizeError(`${file}: ${what} field "${key}" is not supported by this renderer`);
  }
}

/** Renders the kustomization in `dir` (what `kubectl kustomize dir` prints), as plain objects. */
export function renderKustomization(dir: string): KubeObject[] {
  return render(resolve(dir), []);
}

function render(dir: string, stack: readonly string[]): KubeObject[] {
  if (stack.includes(dir)) throw new KustomizeError(`cycle in resources: ${[...stack, dir].join(' -> ')}`);
  const { file, spec } = readKustomization(dir);

  const objects: KubeObject[] = [];
  const ids = new Set<string>();
  const add = (object: KubeObject, source: string) => {
    const id = resourceId(object);
    if (ids.has(id)) throw new KustomizeError(`${source}: ${object.kind} ${object.metadata.name} is defined twice`);
    ids.add(id);
    objects.push(object);
  };

  for (const entry of stringList(spec.resources, 'resources', file)) {
    if (/^[a-z]+:\/\//i.test(entry) || entry.startsWith('git@')) throw new KustomizeError(`${file}: remote resource ${entry} is not supported`);
    const path = resolve(dir, entry);
    if (!existsSync(path)) throw new KustomizeError(`${file}: resource ${entry} does not exist`);
    if (statSync(path).isDirectory()) {
      for (const object of render(path, [...stack, dir])) add(object, path);
    } else {
      for (const doc of parseYamlDocuments(readFileSync(path, 'utf8'), path)) add(asKubeObject(doc, path), path);
    }
  }

  for (const entry of objectList(spec.patches, 'patches', file)) applyPatchEntry(objects, entry, dir, file);

  if (spec.namespace !== undefined) {
    if (typeof spec.namespace !== 'string' || spec.namespace === '') throw new KustomizeError(`${file}: namespace must be a string`);
    for (const object of objects) {
      // kustomize's namespace field specs also rename Namespace objects and rewrite role binding subjects.
      if (object.kind === 'Namespace') object.metadata.name = spec.namespace;
      else if (object.kind === 'RoleBinding' || object.kind === 'ClusterRoleBinding') throw new KustomizeError(`${file}: namespace with ${object.kind} subjects is not supported by this renderer`);
      if (!CLUSTER_SCOPED.has(object.kind)) object.metadata.namespace = spec.namespace;
    }
  }

  for (const entry of objectList(spec.labels, 'labels', file)) {
    checkKeys(entry, ['pairs', 'includeSelectors', 'includeTemplates'], 'labels', file);
    if (entry.includeSelectors === true || entry.includeTemplates === true) throw new KustomizeError(`${file}: labels with includeSelectors or includeTemplates are not supported by this renderer`);
    if (!isObject(entry.pairs) || !Object.values(entry.pairs).every((v) => typeof v === 'string')) throw new KustomizeError(`${file}: labels.pairs must map strings to strings`);
    for (const object of objects) object.metadata.labels = { ...object.metadata.labels, ...(entry.pairs as Record<string, string>) };
  }

  for (const entry of objectList(spec.images, 'images', file)) {
    checkKeys(entry, ['name', 'newName', 'newTag', 'digest'], 'images', file);
    const { name, newName, newTag, digest } = entry;
    if (typeof name !== 'string' || name === '') throw new KustomizeError(`${file}: images entries need a name`);
    for (const [field, value] of Object.entries({ newName, newTag, digest })) {
      if (value !== undefined && typeof value !== 'string') throw new KustomizeError(`${file}: images.${field} must be a string (quote numbers)`);
    }
    const rule = { name, newName: newName as string | undefined, newTag: newTag as string | undefined, digest: digest as string | undefined };
    for (const object of objects) for (const container of podContainers(object)) {
      if (typeof container.image === 'string') container.image = retagImage(container.image, rule);
    }
  }

  return objects;
}

function applyPatchEntry(objects: KubeObject[], entry: JsonObject, dir: string, file: string): void {
  checkKeys(entry, ['path', 'patch'], 'patches', file);
  let text: string;
  let source: string;
  if (typeof entry.path === 'string' && entry.patch === undefined) {
    source = resolve(dir, entry.path);
    if (!existsSync(source)) throw new KustomizeError(`${file}: patch ${entry.path} does not exist`);
    text = readFileSync(source, 'utf8');
  } else if (typeof entry.patch === 'string' && entry.path === undefined) {
    source = `${file} (inline patch)`;
    text = entry.patch;
  } else {
    throw new KustomizeError(`${file}: a patch needs exactly one of path and patch`);
  }
  for (const doc of parseYamlDocuments(text, source)) {
    if (Array.isArray(doc)) throw new KustomizeError(`${source}: JSON 6902 patches are not supported by this renderer`);
    const patch = asKubeObject(doc, source);
    const targets = objects.filter(
      (o) => o.kind === patch.kind && o.apiVersion === patch.apiVersion && o.metadata.name === patch.metadata.name && (patch.metadata.namespace === undefined || o.metadata.namespace === patch.metadata.namespace),
    );
    if (targets.length === 0) throw new KustomizeError(`${source}: no resource matches ${patch.apiVersion} ${patch.kind} ${patch.metadata.name}`);
    if (patch.apiVersion !== 'apps/v1' || patch.kind !== 'Deployment') throw new KustomizeError(`${source}: only apps/v1 Deployments can be patched by this renderer`);
    for (const target of targets) {
      const merged = strategicMerge(target as unknown as JsonObject, patch as unknown as JsonObject, source);
      for (const key of Object.keys(target)) delete (target as Record<string, unknown>)[key];
      Object.assign(target, merged);
    }
  }
}

/**
 * Strategic merge of `patch` into `original` (neither is modified). Maps merge key by key, `null`
 * removes a key, lists with a merge key merge item by item, other lists are replaced.
 */
export function strategicMerge(original: JsonObject, patch: JsonObject, source = 'patch'): JsonObject {
  const result: JsonObject = clone(original);
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$')) throw new KustomizeError(`${source}: directive ${key} is not supported by this renderer`);
    const current = result[key];
    if (value === null) {
      delete result[key];
    } else if (isObject(value) && isObject(current)) {
      result[key] = strategicMerge(current, value, source);
    } else if (Array.isArray(value) && Array.isArray(current) && POD_SPEC_MERGE_KEYS[key] !== undefined) {
      result[key] = mergeList(current, value, POD_SPEC_MERGE_KEYS[key], source);
    } else {
      result[key] = clone(stripNulls(value));
    }
  }
  return result;
}

/** A patch's `null`s delete; where nothing is merged into, they simply leave the key out. */
function stripNulls(value: Json): Json {
  if (Array.isArray(value)) return value.map(stripNulls);
  if (isObject(value)) return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null).map(([k, v]) => [k, stripNulls(v)]));
  return value;
}

/**
 * Merges two lists of maps by `key` as Kubernetes' strategic merge does: items of both are merged,
 * then the patch's items (in the patch's order) and the original's remaining items (in the
 * original order) are interleaved by their place in the original list.
 */
function mergeList(original: Json[], patch: Json[], key: string, source: string): Json[] {
  const keyOf = (item: Json, where: string): string => {
    if (!isObject(item) || item[key] === undefined || item[key] === null) throw new KustomizeError(`${source}: every item of a list merged by ${key} needs ${key} (${where})`);
    if (Object.keys(item).some((k) => k.startsWith('$'))) throw new KustomizeError(`${source}: list directives are not supported by this renderer`);
    return JSON.stringify(item[key]);
  };
  const originalKeys = original.map((item) => keyOf(item, 'original'));
  const patchKeys = patch.map((item) => keyOf(item, 'patch'));
  const patched = patch.map((item, i) => {
    const at = originalKeys.indexOf(patchKeys[i]!);
    return at >= 0 ? strategicMerge(original[at] as JsonObject, item as JsonObject, source) : (stripNulls(item) as JsonObject);
  });
  const serverOnly = original.filter((_, i) => !patchKeys.includes(originalKeys[i]!));
  const serverOnlyKeys = originalKeys.filter((k) => !patchKeys.includes(k));

  const merged: Json[] = [];
  let i = 0; // serverOnly
  let j = 0; // patched
  while (i < serverOnly.length || j < patched.length) {
    if (j >= patched.length) merged.push(clone(serverOnly[i++]!));
    else if (i >= serverOnly.length) merged.push(patched[j++]!);
    else {
      const left = originalKeys.indexOf(serverOnlyKeys[i]!);
      const right = originalKeys.indexOf(patchKeys[j]!);
      if (right >= 0 && left < right) merged.push(clone(serverOnly[i++]!));
      else merged.push(patched[j++]!);
    }
  }
  return merged;
}

/** The containers and init containers of an object's pod template (or of a Pod), for images. */
export function podContainers(object: KubeObject): JsonObject[] {
  const spec = podSpec(object);
  if (!spec) return [];
  return [...(Array.isArray(spec.initContainers) ? spec.initContainers : []), ...(Array.isArray(spec.containers) ? spec.containers : [])].filter(isObject);
}

/** The PodSpec of a Pod or of a workload's pod template, if the object has one. */
export function podSpec(object: KubeObject): JsonObject | undefined {
  const spec = object.spec;
  if (!isObject(spec)) return undefined;
  if (object.kind === 'Pod') return spec;
  if (object.kind === 'CronJob') {
    const job = spec.jobTemplate;
    return isObject(job) && isObject(job.spec) && isObject(job.spec.template) && isObject(job.spec.template.spec) ? job.spec.template.spec : undefined;
  }
  return isObject(spec.template) && isObject(spec.template.spec) ? spec.template.spec : undefined;
}

/** Splits `registry/name:tag@digest` (a registry's port is not a tag). */
export function splitImage(image: string): { name: string; tag?: string; digest?: string } {
  let rest = image;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) return { name: rest.slice(0, colon), tag: rest.slice(colon + 1), ...(digest ? { digest } : {}) };
  return { name: rest, ...(digest ? { digest } : {}) };
}

/** kustomize's `images` rule: a new tag or digest replaces both of the old ones. */
export function retagImage(image: string, rule: { name: string; newName?: string | undefined; newTag?: string | undefined; digest?: string | undefined }): string {
  const parts = splitImage(image);
  if (parts.name !== rule.name) return image;
  const name = rule.newName ?? parts.name;
  let tag = parts.tag;
  let digest = parts.digest;
  if (rule.newTag !== undefined || rule.digest !== undefined) {
    tag = rule.newTag;
    digest = rule.digest;
  }
  return `${name}${tag ? `:${tag}` : ''}${digest ? `@${digest}` : ''}`;
}
