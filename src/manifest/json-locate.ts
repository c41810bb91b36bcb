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
  const scanner = new JsonScanner(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, file);
  const value = scanner.parseDocument();
  const find = (path: JsonPath): Spot | undefined => scanner.spots.get(JSON.stringify(path));
  return {
    value,
    duplicateKeys: scanner.duplicateKeys,
    has: (path) => find(path) !== undefined,
    lineOf(path, target = 'value') {
      for (let n = path.length; n >= 0; n--) {
        const spot = find(path.slice(0, n));
        if (spot === undefined) continue;
        const offset =
          n === path.length && target === 'key' && spot.key !== undefined ? spot.key : spot.value;
        return scanner.positionAt(offset);
      }
      return { line: 1, column: 1 };
    },
  };
}

/** The scanner of {@link parseJsonWithLocations}: one pass over `src`, recording where things are. */
class JsonScanner {
  readonly spots = new Map<string, Spot>();
  readonly duplicateKeys: DuplicateKey[] = [];
  private readonly lineStarts: number[];
  private i = 0;

  constructor(
    private readonly src: string,
    private readonly file: string,
  ) {
    this.lineStarts = computeLineStarts(src);
  }

  /** The whole document: one value, nothing but white space around it. */
  parseDocument(): unknown {
    this.skipSpace();
    if (this.i >= this.src.length) this.fail('the file is empty');
    const value = this.parseValue([], 0);
    this.skipSpace();
    if (this.i < this.src.length)
      this.fail(`unexpected ${this.describe(this.i)} after the end of the JSON value`);
    return value;
  }

  positionAt(offset: number): JsonPosition {
    const lineStarts = this.lineStarts;
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((lineStarts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - (lineStarts[lo] as number) + 1 };
  }

  private fail(reason: string, at = this.i): never {
    const { line, column } = this.positionAt(Math.min(at, this.src.length));
    throw new QuantError('E_MANIFEST', `${this.file} is not valid JSON: ${reason}`, {
      location: { file: this.file, line, column: String(column) },
      hint: 'fix the JSON syntax at that line (a JSON linter or editor shows it too)',
    });
  }

  private describe(at: number): string {
    if (at >= this.src.length) return 'end of input';
    const ch = this.src[at] as string;
    return ch === '"' ? "'\"'" : JSON.stringify(ch);
  }

  private skipSpace(): void {
    const src = this.src;
    for (;;) {
      const c = src.charCodeAt(this.i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.i++;
      else if (c === 0x2f && (src[this.i + 1] === '/' || src[this.i + 1] === '*'))
        this.fail('comments are not allowed in JSON');
      else return;
    }
  }

  private expect(ch: string, what: string): void {
    if (this.src[this.i] !== ch) this.fail(`expected ${what} but found ${this.describe(this.i)}`);
    this.i++;
  }

  // The later duplicate wins, so positions recorded inside the earlier one must not outlive it.
  private forgetBelow(path: JsonPath): void {
    const prefix = `${JSON.stringify(path).slice(0, -1)},`;
    for (const k of [...this.spots.keys()]) if (k.startsWith(prefix)) this.spots.delete(k);
  }

  private parseString(): string {
    const src = this.src;
    const start = this.i;
    this.i++; // opening quote
    let out = '';
    let chunk = this.i;
    for (;;) {
      if (this.i >= src.length) this.fail('unterminated string', start);
      const c = src.charCodeAt(this.i);
      if (c === 0x22) {
        out += src.slice(chunk, this.i);
        this.i++;
        return out;
      }
      if (c < 0x20) this.fail('unescaped control character in a string (write a line break as \\n)');
      if (c !== 0x5c) {
        this.i++;
        continue;
      }
      out += src.slice(chunk, this.i);
      out += this.parseEscape();
      chunk = this.i;
    }
  }

  /** The escape sequence at the backslash under the cursor, decoded; the cursor moves past it. */
  private parseEscape(): string {
    const src = this.src;
    const esc = src[this.i + 1];
    const simple = esc === undefined ? undefined : ESCAPES[esc];
    if (simple !== undefined) {
      this.i += 2;
      return simple;
    }
    if (esc === 'u') {
      const hex = src.slice(this.i + 2, this.i + 6);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('invalid \\u escape: expected 4 hex digits');
      this.i += 6;
      return String.fromCharCode(parseInt(hex, 16));
    }
    return this.fail(`invalid escape "\\${esc ?? ''}" in a string`);
  }

  private parseNumber(): number {
    const match = NUMBER.exec(this.src.slice(this.i, this.i + 400));
    if (match === null) return this.fail(`expected a value but found ${this.describe(this.i)}`);
    const literal = match[0];
    this.i += literal.length;
    return Number(literal);
  }

  private parseValue(path: (string | number)[], depth: number): unknown {
    this.skipSpace();
    const src = this.src;
    const start = this.i;
    const key = JSON.stringify(path);
    const prior = this.spots.get(key);
    this.spots.set(key, prior === undefined ? { value: start } : { ...prior, value: start });
    const ch = src[this.i];
    if (ch === '{' || ch === '[') {
      if (depth >= MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH} levels`);
      return ch === '{' ? this.parseObject(path, depth + 1) : this.parseArray(path, depth + 1);
    }
    if (ch === '"') return this.parseString();
    if (ch === "'") this.fail('strings must use double quotes');
    for (const [word, value] of WORDS) {
      if (src.startsWith(word, this.i)) {
        this.i += word.length;
        return value;
      }
    }
    if (ch === '-' || (ch !== undefined && ch >= '0' && ch <= '9')) return this.parseNumber();
    return this.fail(`expected a value but found ${this.describe(this.i)}`);
  }

  private parseObject(path: (string | number)[], depth: number): Record<string, unknown> {
    const src = this.src;
    this.i++; // {
    const out: Record<string, unknown> = {};
    const seen = new Map<string, number>();
    this.skipSpace();
    if (src[this.i] === '}') {
      this.i++;
      return out;
    }
    for (;;) {
      this.skipSpace();
      if (src[this.i] !== '"') {
        this.fail(
          src[this.i] === '}'
            ? 'trailing comma before "}"'
            : `expected a "quoted" key but found ${this.describe(this.i)}`,
        );
      }
      const keyAt = this.i;
      const name = this.parseString();
      const childPath = [...path, name];
      const earlier = seen.get(name);
      if (earlier !== undefined) {
        this.duplicateKeys.push({
          path: childPath,
          at: this.positionAt(keyAt),
          first: this.positionAt(earlier),
        });
        this.forgetBelow(childPath);
      }
      seen.set(name, keyAt);
      this.spots.set(JSON.stringify(childPath), { value: keyAt, key: keyAt });
      this.skipSpace();
      this.expect(':', `":" after the key "${name}"`);
      // defineProperty: a "__proto__" key must become a plain own property, as with JSON.parse.
      Object.defineProperty(out, name, {
        value: this.parseValue(childPath, depth),
        enumerable: true,
        writable: true,
        configurable: true,
      });
      this.skipSpace();
      if (src[this.i] === ',') {
        this.i++;
        continue;
      }
      this.expect('}', '"," or "}" after a value');
      return out;
    }
  }

  private parseArray(path: (string | number)[], depth: number): unknown[] {
    const src = this.src;
    this.i++; // [
    const out: unknown[] = [];
    this.skipSpace();
    if (src[this.i] === ']') {
      this.i++;
      return out;
    }
    for (;;) {
      this.skipSpace();
      if (src[this.i] === ']') this.fail('trailing comma before "]"');
      out.push(this.parseValue([...path, out.length], depth));
      this.skipSpace();
      if (src[this.i] === ',') {
        this.i++;
        continue;
      }
      this.expect(']', '"," or "]" after a value');
      return out;
    }
  }
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
