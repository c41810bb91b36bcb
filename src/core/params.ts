import { z } from 'zod';
import { type Issue, QuantError } from '../errors.js';
import { assertStageDefinition } from './definition-checks.js';
import type { Stage } from './stage.js';
import { parseDecimal } from '../util/decimal.js';
import { didYouMean } from '../util/suggest.js';
import { expandUnions } from './arguments.js';

type JsonSchema = { [key: string]: unknown };

/** The JSON Schema (draft 2020-12) of a stage's params, derived from its zod schema (input side). */
export function stageParamsJsonSchema(stage: Stage): JsonSchema {
  assertStageDefinition(stage);
  return z.toJSONSchema(stage.params, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
}

function issuePath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, key) =>
      typeof key === 'number' ? `${acc}[${key}]` : acc === '' ? String(key) : `${acc}.${String(key)}`,
    '',
  );
}

/** What {@link zodIssues} may use to suggest a fix: the parsed input and the top-level keys allowed. */
export interface IssueContext {
  readonly input?: unknown;
  /** The keys of the root object, for a did-you-mean on an unknown one. */
  readonly knownKeys?: readonly string[];
  /** The keys of nested objects by their path as issues print it (`options`), likewise. */
  readonly knownKeysAt?: Readonly<Record<string, readonly string[]>>;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let at = root;
  for (const key of path) {
    if (typeof at !== 'object' || at === null || typeof key === 'symbol' || !Object.hasOwn(at, key)) {
      return undefined;
    }
    at = (at as Record<string | number, unknown>)[key];
  }
  return at;
}

/**
 * zod issues as path/message pairs. Unknown keys become one issue per key; with `context`, an unknown
 * top-level key and a value outside a closed vocabulary say which name was probably meant
 * (`methd: unknown parameter (did you mean "method"?)`).
 */
export function zodIssues(error: z.ZodError, context: IssueContext = {}): Issue[] {
  const out: Issue[] = [];
  for (const issue of expandUnions(error.issues)) {
    if (issue.code === 'unrecognized_keys') {
      const known =
        issue.path.length === 0
          ? (context.knownKeys ?? [])
          : (context.knownKeysAt?.[issuePath(issue.path)] ?? []);
      for (const key of issue.keys) {
        out.push({
          path: issuePath([...issue.path, key]),
          message: `unknown parameter${didYouMean(key, known)}`,
        });
      }
    } else if (issue.code === 'invalid_value') {
      const got = valueAt(context.input, issue.path);
      const close = typeof got === 'string' ? didYouMean(got, issue.values.map(String)) : '';
      out.push({ path: issuePath(issue.path), message: `${issue.message}${close}` });
    } else if (issue.code === 'invalid_type') {
      out.push({
        path: issuePath(issue.path),
        message: typeMessage(issue, valueAt(context.input, issue.path)),
      });
    } else {
      out.push({ path: issuePath(issue.path), message: issue.message });
    }
  }
  return out;
}

/**
 * A text where a number or a boolean belongs (`--param nav=0x10`, a quoted number in a params file) is
 * named with the value and the form that is taken, instead of zod's "expected number, received string".
 */
function typeMessage(issue: { readonly expected: string; readonly message: string }, got: unknown): string {
  if (typeof got !== 'string') return issue.message;
  const shown = JSON.stringify(got.length > 40 ? `${got.slice(0, 40)}…` : got);
  if (issue.expected === 'number' || issue.expected === 'int') {
    // Only a JSON params file can hand over a quoted number: the CLI's text is parsed already.
    const number = parseDecimal(got.trim());
    if (number !== undefined && !Number.isFinite(number)) return `${shown} is out of range for a number`;
    if (number !== undefined) return `${shown} is a string: write the number without quotes`;
    return `${shown} is not a number: write a plain decimal such as 0.25, 1000000 or 1e6`;
  }
  if (issue.expected === 'boolean') return `${shown} is not a boolean: write true or false`;
  return issue.message;
}

/** Validate params against the stage schema; every problem is reported at once (`E_PARAMS`). */
export function resolveStageParams(stage: Stage, raw: unknown): unknown {
  const parsed = stage.params.safeParse(raw ?? {});
  if (parsed.success) return parsed.data;
  const issues = zodIssues(parsed.error, { input: raw, knownKeys: stageParamKeys(stage) });
  const summary = issues.map((i) => (i.path === '' ? i.message : `${i.path}: ${i.message}`)).join('; ');
  throw new QuantError('E_PARAMS', `invalid params for stage ${stage.id}: ${summary}`, {
    hint: `see \`quant stage schema ${stage.id}\``,
    issues,
  });
}

// Per stage (a stage is a value): a pipeline asks for the keys of each of its stages on every run.
const paramKeys = new WeakMap<Stage, readonly string[]>();

/** The property names a stage's params object accepts (empty when the schema is not an object). */
export function stageParamKeys(stage: Stage): string[] {
  let keys = paramKeys.get(stage);
  if (keys === undefined) {
    const props = stageParamsJsonSchema(stage)['properties'];
    keys = typeof props === 'object' && props !== null ? Object.keys(props) : [];
    paramKeys.set(stage, keys);
  }
  return [...keys];
}

function schemaTypes(schema: unknown): Set<string> {
  const out = new Set<string>();
  const visit = (s: unknown): void => {
    if (typeof s !== 'object' || s === null) return;
    const obj = s as JsonSchema;
    const t = obj['type'];
    if (typeof t === 'string') out.add(t);
    if (Array.isArray(t)) for (const x of t) if (typeof x === 'string') out.add(x);
    for (const key of ['anyOf', 'oneOf', 'allOf']) {
      const list = obj[key];
      if (Array.isArray(list)) list.forEach(visit);
    }
  };
  visit(schema);
  return out;
}

function coerceScalar(value: string, schema: unknown): unknown {
  const types = schemaTypes(schema);
  const trimmed = value.trim();
  // Decimals only, as `--nav` and the CSV tables take them: `0x10` is not 16 here either.
  const number = types.has('number') || types.has('integer') ? parseDecimal(trimmed) : undefined;
  if (number !== undefined && Number.isFinite(number)) return number;
  if (types.has('boolean')) {
    if (/^(true|yes|1)$/i.test(trimmed)) return true;
    if (/^(false|no|0)$/i.test(trimmed)) return false;
  }
  if (types.has('null') && trimmed === 'null') return null;
  if (types.has('object') || (types.size > 0 && !types.has('string') && /^[[{]/.test(trimmed))) {
    try {
      return JSON.parse(trimmed) as unknown;
    } catch {
      return value;
    }
  }
  return value;
}

/**
 * Turn `key=value` strings (CLI `--param`, `quant://` query) into typed params by reading the stage's
 * JSON Schema: numbers, booleans, comma lists and repeated keys for arrays. A value that does not fit is
 * passed on unchanged so that validation reports it with its path.
 */
export function coerceStringParams(
  stage: Stage,
  pairs: readonly (readonly [string, string])[],
): Record<string, unknown> {
  const schema = stageParamsJsonSchema(stage);
  const props = (schema['properties'] ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  // defineProperty: a key such as `__proto__` must become a member that validation refuses as unknown,
  // not replace the object's prototype and vanish.
  const set = (key: string, value: unknown): void =>
    void Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  for (const [key, value] of pairs) {
    const prop = Object.hasOwn(props, key) ? props[key] : undefined;
    const types = schemaTypes(prop);
    if (types.has('array')) {
      const items = (prop as JsonSchema)['items'] ?? (findArrayItems(prop) as unknown);
      const parts = value === '' ? [] : splitCommaList(value, `${key}=`);
      const previous = Object.hasOwn(out, key) ? out[key] : undefined;
      const list = Array.isArray(previous) ? (previous as unknown[]) : [];
      set(key, [...list, ...parts.map((p) => coerceScalar(p, items))]);
    } else {
      set(key, coerceScalar(value, prop));
    }
  }
  return out;
}

/**
 * The items of a comma list (`--profiles hrp,erc`, `--param key=a,b`), as written. An empty item — `hrp,,erc`,
 * a leading or trailing comma, or only spaces between two commas — is a typo, not a request for fewer
 * items, so it is `E_USAGE` naming the option (`label`), the item's position and the list without it.
 */
export function splitCommaList(value: string, label: string): string[] {
  const parts = value.split(',');
  const empty = parts.findIndex((p) => p.trim() === '');
  if (empty < 0) return parts;
  const kept = parts.filter((p) => p.trim() !== '').map((p) => p.trim());
  const where =
    parts.length === 1 ? 'is empty' : `has an empty item at position ${empty + 1} of ${parts.length}`;
  throw new QuantError('E_USAGE', `${label}${JSON.stringify(value)} ${where}`, {
    hint:
      kept.length === 0
        ? `give at least one item: ${label}<name>[,<name>...]`
        : `remove the extra comma: ${label}${kept.join(',')}`,
  });
}

function findArrayItems(schema: unknown): unknown {
  if (typeof schema !== 'object' || schema === null) return undefined;
  for (const key of ['anyOf', 'oneOf']) {
    const list = (schema as JsonSchema)[key];
    if (Array.isArray(list)) {
      for (const s of list) {
        if (typeof s === 'object' && s !== null && (s as JsonSchema)['type'] === 'array')
          return (s as JsonSchema)['items'];
      }
    }
  }
  return undefined;
}

/** Parse `k=v` strings; a string without `=` is a usage error. */
export function parseParamPairs(values: readonly string[]): [string, string][] {
  return values.map((raw) => {
    const eq = raw.indexOf('=');
    if (eq <= 0) {
      throw new QuantError('E_USAGE', `--param "${raw}" is not of the form key=value`, {
        hint: 'write e.g. --param method=hrp',
      });
    }
    return [raw.slice(0, eq), raw.slice(eq + 1)];
  });
}
