/**
 * The shapes of a returns table a library caller may pass, checked and copied in one pass into the
 * row-major {@link Matrix} the numeric kernels take. Every problem is `E_PARAMS` naming the row and
 * column (or asset), the value received and what is allowed.
 */
import { QuantError } from '../errors.js';
import type { Matrix } from '../numeric/linalg/matrix.js';
import { didYouMean } from '../util/suggest.js';
import { describeValue } from '../util/describe-value.js';

/** A dense row-major T × n matrix: `data[i * cols + j]` is observation i of asset j. */
export interface MatrixInput {
  readonly rows: number;
  readonly cols: number;
  readonly data: ArrayLike<number>;
}

/** A list of numbers: an array, or a typed array such as the `Float64Array` weights the optimizer returns. */
export type NumberList = readonly number[] | Float64Array;

/** Rows of observations: `returns[t][j]` is the return of asset j in period t. */
export type RowsInput = readonly NumberList[];

/** Named columns: `returns[t][j]` is the return of `assets[j]` in period t. */
export interface LabelledReturns {
  readonly assets: readonly string[];
  readonly returns: RowsInput;
}

/** Every accepted shape of a returns table. */
export type ReturnsInput = MatrixInput | RowsInput | LabelledReturns;

export interface ResolvedReturns {
  readonly matrix: Matrix;
  /** The asset names of a labelled input, else `undefined`. */
  readonly assets: readonly string[] | undefined;
  /**
   * True when the values of a Float64Array read in place were left unchecked on request
   * (`deferFiniteness`): the caller checks them with {@link assertFiniteData}.
   */
  readonly unchecked?: boolean;
}

/** How {@link resolveReturns} treats a Float64Array. */
export interface ResolveReturnsOptions {
  /**
   * Leave the finiteness of a Float64Array (read in place) to the caller, for a caller whose next step
   * reads every value anyway and fails on a non-finite one (the optimizer's column means): it then calls
   * {@link assertFiniteData} only when that step fails, and the happy path saves a pass over the data.
   */
  readonly deferFiniteness?: boolean;
}

const SHAPES =
  'a { rows, cols, data } matrix, an array of rows (number[][]) or { assets: string[], returns: number[][] }';

function paramsError(what: string, value: unknown, expected: string): QuantError {
  return new QuantError('E_PARAMS', `${what}: received ${describeValue(value)}; expected ${expected}`, {
    hint: `pass ${SHAPES}`,
    issues: [{ path: what, message: `expected ${expected}` }],
  });
}

function refuseUnknownKeys(value: object, allowed: readonly string[], what: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw new QuantError(
        'E_PARAMS',
        `${what}.${key}: unknown key${didYouMean(key, allowed)}; allowed: ${allowed.join(', ')}`,
        { issues: [{ path: `${what}.${key}`, message: 'unknown key' }] },
      );
    }
  }
}

function isNonNegativeInteger(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

/** Check and copy any accepted shape; `what` names the argument in messages. */
export function resolveReturns(
  input: unknown,
  what = 'returns',
  options: ResolveReturnsOptions = {},
): ResolvedReturns {
  if (Array.isArray(input)) return { matrix: fromRows(input, what, undefined), assets: undefined };
  if (typeof input !== 'object' || input === null || ArrayBuffer.isView(input)) {
    throw paramsError(what, input, SHAPES);
  }
  if ('assets' in input) return fromLabelled(input, what);
  if ('rows' in input || 'cols' in input || 'data' in input) {
    const matrix = fromMatrix(input, what, options.deferFiniteness === true);
    const unchecked = options.deferFiniteness === true && matrix.data instanceof Float64Array;
    return { matrix, assets: undefined, ...(unchecked ? { unchecked } : {}) };
  }
  throw paramsError(what, input, SHAPES);
}

function fromMatrix(input: object, what: string, defer: boolean): Matrix {
  refuseUnknownKeys(input, ['rows', 'cols', 'data'], what);
  const { rows, cols, data } = input as Record<string, unknown>;
  if (!isNonNegativeInteger(rows)) throw paramsError(`${what}.rows`, rows, 'a whole number ≥ 0');
  if (!isNonNegativeInteger(cols)) throw paramsError(`${what}.cols`, cols, 'a whole number ≥ 0');
  const isNumbers = Array.isArray(data) || (ArrayBuffer.isView(data) && !(data instanceof DataView));
  if (!isNumbers) throw paramsError(`${what}.data`, data, 'an array or typed array of numbers');
  const values = data as ArrayLike<unknown>;
  if (values.length !== rows * cols) {
    throw new QuantError(
      'E_PARAMS',
      `${what}.data: received ${values.length} values; expected rows × cols = ${rows} × ${cols} = ${rows * cols}`,
      { hint: 'make rows × cols equal the length of data (row-major: data[i * cols + j])' },
    );
  }
  // A Float64Array holds numbers only: one finiteness pass (or none, deferred), and the kernels (which
  // never write to their input) read it in place. Anything else is checked and copied in the same pass.
  if (data instanceof Float64Array) {
    const matrix = { rows, cols, data };
    if (!defer) assertFiniteData(matrix, what);
    return matrix;
  }
  const out = new Float64Array(values.length);
  for (let k = 0; k < values.length; k++) {
    const x = values[k];
    if (typeof x !== 'number' || x - x !== 0) throw nonFiniteCell(what, k, cols, x);
    out[k] = x;
  }
  return { rows, cols, data: out };
}

/**
 * Throw `E_PARAMS` naming the first NaN or ±Infinity of `matrix.data` (row-major), if any. The common
 * case (all finite) is one branch-free pass: x · 0 is 0 for a finite x and NaN otherwise, summed in four
 * independent lanes; only when the sum is not 0 is the cell looked for.
 */
export function assertFiniteData(matrix: Matrix, what = 'returns'): void {
  const data = matrix.data;
  const len = data.length;
  let a = 0;
  let b = 0;
  let c = 0;
  let d = 0;
  let k = 0;
  for (; k + 3 < len; k += 4) {
    a += (data[k] as number) * 0;
    b += (data[k + 1] as number) * 0;
    c += (data[k + 2] as number) * 0;
    d += (data[k + 3] as number) * 0;
  }
  for (; k < len; k++) a += (data[k] as number) * 0;
  if (a + b + c + d === 0) return;
  for (k = 0; k < len; k++) {
    const x = data[k] as number;
    if (x - x !== 0) throw nonFiniteCell(what, k, matrix.cols, x);
  }
}

function nonFiniteCell(what: string, k: number, cols: number, x: unknown): QuantError {
  const i = Math.floor(k / cols);
  return paramsError(`${what}.data[${k}] (row ${i}, column ${k - i * cols})`, x, 'a finite number');
}

/** An array or a typed array of numbers (not a DataView, not a BigInt64Array): its values are read by index. */
export function isNumberList(value: unknown): value is ArrayLike<unknown> {
  if (Array.isArray(value)) return true;
  return (
    ArrayBuffer.isView(value) &&
    !(value instanceof DataView) &&
    !(value instanceof BigInt64Array) &&
    !(value instanceof BigUint64Array)
  );
}

function fromRows(input: readonly unknown[], what: string, assets: readonly string[] | undefined): Matrix {
  const first: unknown = input[0];
  const cols = assets?.length ?? (isNumberList(first) ? first.length : undefined);
  const out = new Float64Array(input.length * (cols ?? 0));
  for (let i = 0; i < input.length; i++) {
    const row: unknown = input[i];
    if (!isNumberList(row) || cols === undefined) {
      const count = cols === undefined ? '' : ` ${cols}`;
      throw paramsError(`${what}[${i}] (row ${i})`, row, `an array or typed array of${count} numbers`);
    }
    if (row.length !== cols) {
      const against = assets === undefined ? 'as many as row 0' : `one per asset`;
      throw paramsError(`${what}[${i}] (row ${i})`, row, `${cols} values (${against})`);
    }
    for (let j = 0; j < cols; j++) {
      const x: unknown = row[j];
      if (typeof x !== 'number' || x - x !== 0) {
        const column = assets === undefined ? `column ${j}` : `asset ${JSON.stringify(assets[j])}`;
        throw paramsError(`${what}[${i}][${j}] (row ${i}, ${column})`, x, 'a finite number');
      }
      out[i * cols + j] = x;
    }
  }
  return { rows: input.length, cols: cols ?? 0, data: out };
}

/** Check a list of asset names (non-empty strings, each once); `what` names it in messages. */
export function resolveAssetNames(assets: unknown, what: string): string[] {
  if (!Array.isArray(assets)) throw paramsError(what, assets, 'an array of asset names');
  const seen = new Map<string, number>();
  assets.forEach((name: unknown, j) => {
    if (typeof name !== 'string' || name === '')
      throw paramsError(`${what}[${j}]`, name, 'a non-empty string');
    const first = seen.get(name);
    if (first !== undefined)
      throw paramsError(
        `${what}[${j}]`,
        name,
        `a name not already used by another asset (${what}[${first}] is ${JSON.stringify(name)})`,
      );
    seen.set(name, j);
  });
  return [...(assets as string[])];
}

function fromLabelled(input: object, what: string): ResolvedReturns {
  refuseUnknownKeys(input, ['assets', 'returns'], what);
  const { assets, returns } = input as Record<string, unknown>;
  const names = resolveAssetNames(assets, `${what}.assets`);
  if (!Array.isArray(returns)) {
    throw paramsError(`${what}.returns`, returns, `an array of rows, each with ${names.length} numbers`);
  }
  return { matrix: fromRows(returns, `${what}.returns`, names), assets: names };
}
