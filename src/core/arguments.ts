/**
 * Run-time checks of the arguments of the exported functions and classes (`optimizePortfolio`, the
 * building blocks, `QuantSDK`, the registries) for JavaScript callers without type checking. An argument
 * is checked against a zod schema; a wrong type, a missing value, a value outside a closed list or an
 * unknown option is `E_PARAMS` naming the method, the argument (and option), the value received and what
 * is allowed, with a did-you-mean for a misspelt option or a near value. Checking never changes the
 * value: callers go on with what they were given.
 */
import { z } from 'zod';
import { QuantError, type Issue } from '../errors.js';
import { describeValue } from '../util/describe-value.js';
import { didYouMean } from '../util/suggest.js';

/** The type a union branch wanted when it refused the value outright (a mismatch at the union itself). */
function refusedShape(branch: readonly z.core.$ZodIssue[]): string | undefined {
  for (const i of branch) if (i.path.length === 0 && i.code === 'invalid_type') return i.expected;
  return undefined;
}

/**
 * The issues with each failed union replaced by the issues of its one branch that took the value's shape
 * (a list, a record by asset name), their paths from the root: `riskBudget.stocks: received number NaN`
 * instead of zod's "Invalid input" for the whole union. A union whose branches all refused the shape
 * stays, for {@link expected} to list the shapes it takes.
 */
export function expandUnions(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue[] {
  return issues.flatMap((issue) => {
    // A union with a message of its own (a schema's custom error) says it better than any branch.
    if (issue.code !== 'invalid_union' || issue.message !== 'Invalid input') return [issue];
    const taken = issue.errors.filter((branch) => refusedShape(branch) === undefined);
    if (taken.length !== 1) return [issue];
    return expandUnions(
      (taken[0] ?? []).map(
        (inner) => ({ ...inner, path: [...issue.path, ...inner.path] }) as z.core.$ZodIssue,
      ),
    );
  });
}

function article(expectedType: string): string {
  if (expectedType === 'number') return 'a finite number';
  if (expectedType === 'record') return 'an object';
  return `${/^[aeiou]/.test(expectedType) ? 'an' : 'a'} ${expectedType}`;
}

/** What an option allows, for an `E_PARAMS` message (a near value of a closed list as a did-you-mean). */
export function expected(issue: z.core.$ZodIssue, value: unknown, key: string): string {
  switch (issue.code) {
    case 'invalid_union': {
      const shapes = issue.errors.flatMap((branch) => {
        const shape = refusedShape(branch);
        return shape === undefined ? [] : [article(shape)];
      });
      return shapes.length === issue.errors.length ? [...new Set(shapes)].join(' or ') : issue.message;
    }
    case 'invalid_value': {
      const allowed = issue.values.map(String);
      const near = typeof value === 'string' ? didYouMean(value, allowed) : '';
      return `one of ${allowed.join(', ')}${near}${key === 'method' ? ' (erc = risk_parity)' : ''}`;
    }
    case 'invalid_type':
      return article(issue.expected);
    case 'too_small':
      if (issue.origin === 'array') return `a list of at least ${String(issue.minimum)} item(s)`;
      if (issue.origin === 'string') return `a text of at least ${String(issue.minimum)} character(s)`;
      return `a number ${issue.inclusive === false ? '>' : '≥'} ${String(issue.minimum)}`;
    case 'too_big':
      if (issue.origin === 'array') return `a list of at most ${String(issue.maximum)} item(s)`;
      if (issue.origin === 'string') return `a text of at most ${String(issue.maximum)} character(s)`;
      return `a number ${issue.inclusive === false ? '<' : '≤'} ${String(issue.maximum)}`;
    default:
      return issue.message;
  }
}

/** A schema accepting any function (zod has no function schema that checks without wrapping). */
export const functionSchema = z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', {
  message: 'a function',
});

/** The keys an object schema declares at `path` (through optional and array wrappers). */
function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let at: unknown = schema;
  for (let k = 0; ; k++) {
    while (at instanceof z.ZodOptional) at = at.unwrap();
    if (k === path.length) break;
    if (at instanceof z.ZodObject) at = (at.shape as Record<PropertyKey, unknown>)[path[k] as PropertyKey];
    else if (at instanceof z.ZodArray) at = at.element;
    else return [];
  }
  return at instanceof z.ZodObject ? Object.keys(at.shape) : [];
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

function pathText(what: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : `${acc}.${String(p)}`),
    what,
  );
}

/** Where an argument belongs, for the messages of {@link checkArgument}. */
export interface ArgumentContext {
  /** The method, as a caller writes it: `QuantSDK.runStage`, `registry.getStage`. */
  readonly method: string;
  /** The argument's name: `id`, `options`. */
  readonly argument: string;
  /** How to call it right, e.g. an example call. */
  readonly hint?: string;
  /** More about an unknown key (e.g. that it belongs to another method), or ''. */
  readonly unknownKeyNote?: (key: string) => string;
}

/**
 * Throw `E_PARAMS` unless `value` fits `schema`: one issue per problem (all at once), each naming the
 * argument path, the value received and what is allowed; an unknown key with a did-you-mean and the
 * allowed keys.
 */
export function checkArgument(schema: z.ZodType, value: unknown, context: ArgumentContext): void {
  const parsed = schema.safeParse(value);
  if (parsed.success) return;
  const issues: Issue[] = expandUnions(parsed.error.issues).flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const allowed = keysAt(schema, issue.path);
      return issue.keys.map((k) => ({
        path: pathText(context.argument, [...issue.path, k]),
        message: `unknown option${didYouMean(k, allowed)}${context.unknownKeyNote?.(k) ?? ''}; allowed: ${allowed.join(', ') || '(none)'}`,
      }));
    }
    const got = valueAt(value, issue.path);
    const key = String(issue.path[issue.path.length - 1] ?? context.argument);
    const received = got === undefined ? 'missing' : `received ${describeValue(got)}`;
    return [
      {
        path: pathText(context.argument, issue.path),
        message: `${received}; expected ${expected(issue, got, key)}`,
      },
    ];
  });
  throw new QuantError(
    'E_PARAMS',
    `${context.method}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    { ...(context.hint === undefined ? {} : { hint: context.hint }), issues },
  );
}
