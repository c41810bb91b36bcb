import { QuantError } from '../errors.js';
import type { JsonPath } from './_json-path.js';

/** A 1-based line and column (UTF-16 code units, as editors count) in the text after any BOM. */
export interface JsonPosition {
  readonly line: number;
  readonly column: number;
}

/** A key that occurs twice in one object: `JSON.parse` keeps the last one silently, we report it. */
export interface DuplicateKey {
  /** Path of the key (the object's path plus the key). */
  readonly path: JsonPath;
  /** Where the later occurrence (the one that wins) is. */
  readonly at: JsonPosition;
  /** Where the first occurrence is. */
  readonly first: JsonPosition;
}

/** A parsed JSON document that remembers where every value and key came from. */
export interface LocatedJson {
  /** The value, as `JSON.parse` would return it. */
  readonly value: unknown;
  /**
   * Where the value (or, with `target: 'key'`, the key) at `path` starts. A path that does not exist
   * resolves to its deepest existing ancestor, so a missing required key points at its object.
   */
  lineOf(path: JsonPath, target?: 'value' | 'key'): JsonPosition;
  /** Whether `path` exists in the document. */
  has(path: JsonPath): boolean;
  readonly duplicateKeys: readonly DuplicateKey[];
}

interface Spot {
  value: number;
  key?: number;
}

const MAX_DEPTH = 512;

/**
 * Parse JSON text and keep the position of every value and key. A hand-written scanner (strings with
 * escapes, nested containers, a leading BOM, LF / CRLF / CR line ends) because `JSON.parse` reports
 * neither positions of valid values nor, portably, the position of a syntax error.
 * A syntax error is `E_MANIFEST` "`<file>` is not valid JSON: reason" with the line and column.
 */
export function parseJsonWithLocations(text: string, file: string): LocatedJson {
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const lineStarts = computeLineStarts(src);
  const positionAt = (offset: number): JsonPosition => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((lineStarts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - (lineStarts[lo] as number) + 1 };
  };
  const spots = new Map<string, Spot>();
  const duplicateKeys: DuplicateKey[] = [];
  let i = 0;

  const fail: (reason: string, at?: number) => never = (reason, at = i) => {
    const { line, column } = positionAt(Math.min(at, src.length));
    throw new QuantError('E_MANIFEST', `${file} is not valid JSON: ${reason}`, {
      location: { file, line, column: String(column) },
      hint: 'fix the JSON syntax at that line (a JSON linter or editor shows it too)',
    });
  };
  const describe = (at: number): string => {
    if (at >= src.length) return 'end of input';
    const ch = src[at] as string;
    return ch === '"' ? "'\"'" : JSON.stringify(ch);
  };
  const skipSpace = (): void => {
    for (;;) {
      const c = src.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
      else if (c === 0x2f && (src[i + 1] === '/' || src[i + 1] === '*'))
        fail('comments are not allowed in JSON');
      else return;
    }
  };
  const expect = (ch: string, what: string): void => {
    if (src[i] !== ch) fail(`expected ${what} but found ${describe(i)}`);
    i++;
  };

  // The later duplicate wins, so positions recorded inside the earlier one must not outlive it.
  const forgetBelow = (path: JsonPath): void => {
    const prefix = `${JSON.stringify(path).slice(0, -1)},`;
    for (const k of [...spots.keys()]) if (k.startsWith(prefix)) spots.delete(k);
  };

  const parseString = (): string => {
    const start = i;
    i++; // opening quote
    let out = '';
    let chunk = i;
    for (;;) {
      if (i >= src.length) fail('unterminated string', start);
      const c = src.charCodeAt(i);
      if (c === 0x22) {
        out += src.slice(chunk, i);
        i++;
        return out;
      }
      if (c < 0x20) fail('unescaped control character in a string (write a line break as \\n)');
      if (c !== 0x5c) {
        i++;
        continue;
      }
      out += src.slice(chunk, i);
      const esc = src[i + 1];
      const simple = esc === undefined ? undefined : ESCAPES[esc];
      if (simple !== undefined) {
        out += simple;
        i += 2;
      } else if (esc === 'u') {
        const hex = src.slice(i + 2, i + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('invalid \\u escape: expected 4 hex digits');
        out += String.fromCharCode(parseInt(hex, 16));
        i += 6;
      } else {
        fail(`invalid escape "\\${esc ?? ''}" in a string`);
      }
      chunk = i;
    }
  };

  const parseNumber = (): number => {
    const match = NUMBER.exec(src.slice(i, i + 400));
    if (match === null) return fail(`expected a value but found ${describe(i)}`);
    const literal = match[0];
    i += literal.length;
    return Number(literal);
  };

  const parseValue = (path: (string | number)[], depth: number): unknown => {
    skipSpace();
    const start = i;
    const key = JSON.stringify(path);
    const prior = spots.get(key);
    spots.set(key, prior === undefined ? { value: start } : { ...prior, value: start });
    const ch = src[i];
    if (ch === '{' || ch === '[') {
      if (depth >= MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH} levels`);
      return ch === '{' ? parseObject(path, depth + 1) : parseArray(path, depth + 1);
    }
    if (ch === '"') return parseString();
    if (ch === "'") fail('strings must use double quotes');
    for (const [word, value] of WORDS) {
      if (src.startsWith(word, i)) {
        i += word.length;
        return value;
      }
    }
    if (ch === '-' || (ch !== undefined && ch >= '0' && ch <= '9')) return parseNumber();
    return fail(`expected a value but found ${describe(i)}`);
  };

  const parseObject = (path: (string | number)[], depth: number): Record<string, unknown> => {
    i++; // {
    const out: Record<string, unknown> = {};
    const seen = new Map<string, number>();
    skipSpace();
    if (src[i] === '}') {
      i++;
      return out;
    }
    for (;;) {
      skipSpace();
      if (src[i] !== '"') {
        fail(
          src[i] === '}' ? 'trailing comma before "}"' : `expected a "quoted" key but found ${describe(i)}`,
        );
      }
      const keyAt = i;
      const name = parseString();
      const childPath = [...path, name];
      const earlier = seen.get(name);
      if (earlier !== undefined) {
        duplicateKeys.push({ path: childPath, at: positionAt(keyAt), first: positionAt(earlier) });
        forgetBelow(childPath);
      }
      seen.set(name, keyAt);
      spots.set(JSON.stringify(childPath), { value: keyAt, key: keyAt });
      skipSpace();
      expect(':', `":" after the key "${name}"`);
      // defineProperty: a "__proto__" key must become a plain own property, as with JSON.parse.
      Object.defineProperty(out, name, {
        value: parseValue(childPath, depth),
        enumerable: true,
        writable: true,
        configurable: true,
      });
      skipSpace();
      if (src[i] === ',') {
        i++;
        continue;
      }
      expect('}', '"," or "}" after a value');
      return out;
    }
  };

  const parseArray = (path: (string | number)[], depth: number): unknown[] => {
    i++; // [
    const out: unknown[] = [];
    skipSpace();
    if (src[i] === ']') {
      i++;
      return out;
    }
    for (;;) {
      skipSpace();
      if (src[i] === ']') fail('trailing comma before "]"');
      out.push(parseValue([...path, out.length], depth));
      skipSpace();
      if (src[i] === ',') {
        i++;
        continue;
      }
      expect(']', '"," or "]" after a value');
      return out;
    }
  };

  skipSpace();
  if (i >= src.length) fail('the file is empty');
  const value = parseValue([], 0);
  skipSpace();
  if (i < src.length) fail(`unexpected ${describe(i)} after the end of the JSON value`);

  const find = (path: JsonPath): Spot | undefined => spots.get(JSON.stringify(path));
  return {
    value,
    duplicateKeys,
    has: (path) => find(path) !== undefined,
    lineOf(path, target = 'value') {
      for (let n = path.length; n >= 0; n--) {
        const spot = find(path.slice(0, n));
        if (spot === undefined) continue;
        const offset =
          n === path.length && target === 'key' && spot.key !== undefined ? spot.key : spot.value;
        return positionAt(offset);
      }
      return { line: 1, column: 1 };
    },
  };
}

const ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

const WORDS: readonly (readonly [string, unknown])[] = [
  ['true', true],
  ['false', false],
  ['null', null],
];

const NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/;

/** Offsets where lines start; CRLF counts once, a lone CR (old Mac) also ends a line. */
function computeLineStarts(src: string): number[] {
  const starts = [0];
  for (let k = 0; k < src.length; k++) {
    const c = src.charCodeAt(k);
    if (c === 0x0a) starts.push(k + 1);
    else if (c === 0x0d && src.charCodeAt(k + 1) !== 0x0a) starts.push(k + 1);
  }
  return starts;
}
