/**
 * Dense row-major matrices of float64. `data[i * cols + j]` is row i, column j.
 * Return matrices are T x n (rows = dates, columns = assets); covariances are n x n.
 */
export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

/** Allocate a zero matrix. */
export function createMatrix(rows: number, cols: number, data?: Float64Array): Matrix {
  if (data !== undefined && data.length !== rows * cols) {
    throw new RangeError(`matrix data has ${data.length} values, expected ${rows}x${cols}`);
  }
  return { rows, cols, data: data ?? new Float64Array(rows * cols) };
}

/** Build a matrix from nested arrays (rows of equal length). */
export function matrixFromRows(rows: readonly (readonly number[])[]): Matrix {
  const r = rows.length;
  const c = r === 0 ? 0 : (rows[0]?.length ?? 0);
  const data = new Float64Array(r * c);
  for (let i = 0; i < r; i++) {
    const row = rows[i] as readonly number[];
    if (row.length !== c) throw new RangeError(`row ${i} has ${row.length} values, expected ${c}`);
    data.set(row, i * c);
  }
  return { rows: r, cols: c, data };
}

/** Nested arrays of a matrix (for JSON output and tests). */
export function matrixToRows(m: Matrix): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < m.rows; i++) out.push(Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));
  return out;
}

/** Keep the given columns, in the given order. */
export function selectColumns(m: Matrix, columns: readonly number[]): Matrix {
  const out = new Float64Array(m.rows * columns.length);
  for (let i = 0; i < m.rows; i++) {
    for (let k = 0; k < columns.length; k++)
      out[i * columns.length + k] = m.data[i * m.cols + (columns[k] as number)] as number;
  }
  return { rows: m.rows, cols: columns.length, data: out };
}

/** Keep the given rows, in the given order. */
export function selectRows(m: Matrix, rows: readonly number[]): Matrix {
  const out = new Float64Array(rows.length * m.cols);
  for (let k = 0; k < rows.length; k++) {
    const i = rows[k] as number;
    out.set(m.data.subarray(i * m.cols, (i + 1) * m.cols), k * m.cols);
  }
  return { rows: rows.length, cols: m.cols, data: out };
}
