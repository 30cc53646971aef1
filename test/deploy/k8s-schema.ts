import { createRequire } from 'node:module';
import ts from 'typescript';
import type { KubeObject } from './kustomize.js';

/**
 * Kubernetes schema checks with the models of `kubernetes-models` (4.5: it runs on Node 20) and
 * `@kubernetes-models/prometheus-operator`:
 * - {@link schemaErrors}: the model's JSON-schema validation (types, enums, required fields);
 * - {@link unknownFields}: what that validation lets through, a field the API does not have (a
 *   typo such as `readOnlyRootFileSystem` is silently dropped by the API server). The fields
 *   allowed are read from the models' own type declarations with the TypeScript checker, so the
 *   check covers every nested object the models describe, CRDs included.
 */

const require = createRequire(import.meta.url);

interface ModelModule {
  /** Package path of the module exporting the model class, e.g. `kubernetes-models/apps/v1`. */
  group: string;
  /** Declaration file of the model (`.../apps/v1/Deployment.d.ts`). */
  declaration: string;
}

const THIRD_PARTY: Readonly<Record<string, string>> = {
  'monitoring.coreos.com/v1': '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1',
};

/** Where the model of an apiVersion/kind lives; undefined when no installed package has it. */
export function modelModule(apiVersion: string, kind: string): ModelModule | undefined {
  const group = THIRD_PARTY[apiVersion] ?? `kubernetes-models/${apiVersion}`;
  try {
    const js = require.resolve(`${group}/${kind}`);
    return { group, declaration: js.replace(/\.js$/, '.d.ts') };
  } catch {
    return undefined;
  }
}

interface Model {
  validate(): void;
}
type ModelClass = new (data: unknown) => Model;

/** Schema errors of one object (empty when valid); an unknown apiVersion/kind is an error too. */
export function schemaErrors(object: KubeObject): string[] {
  const where = modelModule(object.apiVersion, object.kind);
  if (!where) return [`${object.kind} ${object.metadata.name}: no schema for ${object.apiVersion} ${object.kind}`];
  const exports = require(where.group) as Record<string, unknown>;
  const Model = exports[object.kind] as ModelClass | undefined;
  if (typeof Model !== 'function') return [`${object.kind} ${object.metadata.name}: ${where.group} has no ${object.kind}`];
  try {
    new Model(structuredClone(object)).validate();
    return [];
  } catch (error) {
    return [`${object.kind} ${object.metadata.name}: ${(error as Error).message}`];
  }
}

let cached: { roots: string; program: ts.Program } | undefined;

function programFor(declarations: readonly string[]): ts.Program {
  const roots = [...new Set(declarations)].sort();
  const key = roots.join('\n');
  if (cached?.roots !== key) {
    const options: ts.CompilerOptions = { strict: true, noEmit: true, skipLibCheck: true, types: [], module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler };
    cached = { roots: key, program: ts.createProgram(roots, options) };
  }
  return cached.program;
}

/**
 * Paths of the fields in `objects` that their models do not declare (`spec.template.spec.containers[0].securityContext.readOnlyRootFileSystem`).
 * Maps (labels, resources, nodeSelector) take any key; objects without a model are left to
 * {@link schemaErrors}.
 */
export function unknownFields(objects: readonly KubeObject[]): string[] {
  const withModels = objects.map((object) => ({ object, where: modelModule(object.apiVersion, object.kind) }));
  const program = programFor(withModels.flatMap(({ where }) => (where ? [where.declaration] : [])));
  const checker = program.getTypeChecker();
  const found: string[] = [];
  for (const { object, where } of withModels) {
    if (!where) continue;
    const source = program.getSourceFile(where.declaration);
    const declaration = source?.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === `I${object.kind}`);
    if (!declaration) {
      found.push(`${object.kind} ${object.metadata.name}: no type declaration I${object.kind} in ${where.declaration}`);
      continue;
    }
    walk(checker, object, checker.getTypeAtLocation(declaration), `${object.kind} ${object.metadata.name}: `, found);
  }
  return found;
}

function walk(checker: ts.TypeChecker, value: unknown, declared: ts.Type, path: string, found: string[]): void {
  if (value === null || typeof value !== 'object') return;
  const type = checker.getNonNullableType(declared);
  const members = type.isUnion() ? type.types : [type];
  if (Array.isArray(value)) {
    const arrays = members.filter((t) => checker.isArrayType(t));
    if (arrays.length !== 1) return;
    const element = checker.getTypeArguments(arrays[0] as ts.TypeReference)[0];
    if (!element) return;
    value.forEach((item, i) => walk(checker, item, element, `${path}[${i}]`, found));
    return;
  }
  const objects = members.filter((t) => (t.flags & ts.TypeFlags.Object) !== 0 && !checker.isArrayType(t));
  if (objects.length !== 1) return; // a primitive, or a union the value does not pick out
  const objectType = objects[0]!;
  const index = checker.getIndexInfoOfType(objectType, ts.IndexKind.String);
  const separator = path.endsWith(': ') ? '' : '.';
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    const property = checker.getPropertyOfType(objectType, key);
    if (property) walk(checker, child, checker.getTypeOfSymbol(property), `${path}${separator}${key}`, found);
    else if (index) walk(checker, child, index.type, `${path}${separator}${key}`, found);
    else if (checker.getPropertiesOfType(objectType).length > 0) found.push(`${path}${separator}${key}`);
  }
}
