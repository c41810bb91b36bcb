/**
 * The Gram kernel in WebAssembly SIMD (f64x2), for the large problems where it pays.
 *
 * The centred data are packed into panels of 4 columns (T x 4, row-major, zero-padded), so one output
 * tile of 4 x 4 entries streams two contiguous panels. Per time step the tile loads the 4 values of the
 * column panel as two f64x2 vectors and broadcasts each of the 4 values of the row panel, then does 8
 * vector multiply-adds into 8 vector accumulators (16 entries). The vectors run across output entries,
 * never across time: every entry is still Σₜ x_i[t]·x_j[t] summed in time order, one IEEE multiply and
 * one IEEE add per step (WebAssembly has no fused multiply-add here), so the result equals the scalar
 * kernel's bit for bit. Only the upper triangle of tiles is computed; the caller mirrors it.
 *
 * Time is cut into chunks of {@link CHUNK_ROWS} rows and the column panels into blocks of
 * {@link BLOCK_PANELS}: within a chunk the tiles of one column block reuse its panels from the L2 cache
 * and one row panel from L1, instead of streaming whole panels from memory for every tile. A tile's 16
 * partial sums are kept in memory between chunks and reloaded by the next one (an f64 stored and
 * loaded is the same f64), and the chunks run in time order, so each entry is still added up in time
 * order and the result is unchanged to the last bit.
 *
 * The module (about 200 bytes) is encoded below rather than shipped as a binary, so what runs is
 * readable in this file.
 */

/** Panel width (columns per panel) and tile size. */
const PANEL = 4;

const I32 = 0x7f;
const V128 = 0x7b;

function uleb(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

function section(id: number, body: readonly number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function name(text: string): number[] {
  return [...uleb(text.length), ...Array.from(text, (c) => c.charCodeAt(0))];
}

const get = (i: number): number[] => [0x20, i];
const set = (i: number): number[] => [0x21, i];
const simd = (op: number, ...imm: number[]): number[] => [0xfd, ...uleb(op), ...imm];
/** memarg: alignment exponent 3 (8 bytes, what Float64Array data guarantee) and a byte offset. */
const mem = (offset: number): number[] => [3, ...uleb(offset)];
const V128_LOAD = 0;
const V128_LOAD64_SPLAT = 10;
const V128_STORE = 11;
const F64X2_ADD = 240;
const F64X2_MUL = 242;

/**
 * tile(p, q, T, out): for a row panel at byte offset p and a column panel at q (each T x 4 f64),
 * out[4a + b] += Σₜ p[t][a]·q[t][b] for a, b < 4 (16 f64 at byte offset out), the sum taken in order
 * t = 0, 1, …, T − 1 onto the value out holds. T ≥ 1.
 */
function tileBody(): number[] {
  const [P, Q, T, OUT, t] = [0, 1, 2, 3, 4];
  const acc = (a: number, half: number): number => 5 + 2 * a + half;
  const [Y0, Y1, S] = [13, 14, 15];
  const step: number[] = [
    ...get(Q),
    ...simd(V128_LOAD, ...mem(0)),
    ...set(Y0),
    ...get(Q),
    ...simd(V128_LOAD, ...mem(16)),
    ...set(Y1),
  ];
  for (let a = 0; a < PANEL; a++) {
    step.push(...get(P), ...simd(V128_LOAD64_SPLAT, ...mem(8 * a)), ...set(S));
    for (let half = 0; half < 2; half++) {
      step.push(
        ...get(acc(a, half)),
        ...get(S),
        ...get(half === 0 ? Y0 : Y1),
        ...simd(F64X2_MUL),
        ...simd(F64X2_ADD),
        ...set(acc(a, half)),
      );
    }
  }
  // p += 32; q += 32; t += 1; loop while t < T.
  step.push(...get(P), 0x41, 32, 0x6a, ...set(P));
  step.push(...get(Q), 0x41, 32, 0x6a, ...set(Q));
  step.push(...get(t), 0x41, 1, 0x6a, 0x22, t, ...get(T), 0x49, 0x0d, 0);
  const store: number[] = [];
  for (let a = 0; a < PANEL; a++) {
    for (let half = 0; half < 2; half++) {
      store.push(...get(OUT), ...get(acc(a, half)), ...simd(V128_STORE, ...mem(32 * a + 16 * half)));
    }
  }
  const load: number[] = [];
  for (let a = 0; a < PANEL; a++) {
    for (let half = 0; half < 2; half++) {
      load.push(...get(OUT), ...simd(V128_LOAD, ...mem(32 * a + 16 * half)), ...set(acc(a, half)));
    }
  }
  const locals = [2, 1, I32, 11, V128];
  const code = [...locals, ...load, 0x03, 0x40, ...step, 0x0b, ...store, 0x0b];
  return [...uleb(code.length), ...code];
}

function moduleBytes(): Uint8Array {
  const bytes = [
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [1, 0x60, 4, I32, I32, I32, I32, 0]),
    ...section(2, [1, ...name('env'), ...name('memory'), 0x02, 0x00, 1]),
    ...section(3, [1, 0]),
    ...section(7, [1, ...name('tile'), 0x00, 0]),
    ...section(10, [1, ...tileBody()]),
  ];
  return Uint8Array.from(bytes);
}

type TileFn = (p: number, q: number, T: number, out: number) => void;

/** The part of the WebAssembly JS API used here (the project compiles without DOM typings). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number }) => WasmMemory;
}
const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

let compiled: object | null | undefined;

/** The compiled module, or null where WebAssembly SIMD is not available (the scalar kernel is used). */
function simdModule(): object | null {
  if (compiled === undefined) {
    const bytes = moduleBytes();
    compiled = wasm !== undefined && wasm.validate(bytes) ? new wasm.Module(bytes) : null;
  }
  return compiled;
}

/** Whether the SIMD kernel can run here. */
export function simdAvailable(): boolean {
  return simdModule() !== null;
}

interface Kernel {
  readonly memory: WasmMemory;
  readonly tile: TileFn;
}

/**
 * The last kernel instance, kept while its memory is at most {@link KEEP_BYTES}: fresh memory costs a
 * page fault per 4 KiB on first touch (about a third of the whole covariance at 500 assets), so a
 * process that computes many covariances reuses the pages it already has.
 */
let kept: Kernel | undefined;
const KEEP_BYTES = 64 * 2 ** 20;

function kernelFor(api: WasmApi, module: object, bytes: number): Kernel {
  const pages = Math.ceil(bytes / 65536);
  if (kept !== undefined) {
    const have = kept.memory.buffer.byteLength / 65536;
    if (have >= pages) return kept;
    if (pages * 65536 <= KEEP_BYTES) {
      kept.memory.grow(pages - have);
      return kept;
    }
  }
  const memory = new api.Memory({ initial: pages });
  const instance = new api.Instance(module, { env: { memory } });
  const kernel = { memory, tile: instance.exports['tile'] as TileFn };
  if (pages * 65536 <= KEEP_BYTES) kept = kernel;
  return kernel;
}

/**
 * Centre the T x n row-major `data` by `means` and return `XᵀX / divisor` (n x n, row-major, exactly
 * symmetric), or undefined where WebAssembly SIMD is not available.
 */
export function centredGramSimd(
  data: Float64Array,
  T: number,
  n: number,
  means: Float64Array,
  divisor: number,
): Float64Array | undefined {
  const module = simdModule();
  if (module === null || wasm === undefined || T < 1) return undefined;
  const panels = Math.ceil(n / PANEL);
  const panelBytes = T * PANEL * 8;
  const sumsOffset = panels * panelBytes;
  const tiles = (panels * (panels + 1)) / 2;
  const { memory, tile } = kernelFor(wasm, module, sumsOffset + tiles * TILE_BYTES);
  packPanels(data, T, n, means, new Float64Array(memory.buffer, 0, sumsOffset / 8));
  const sums = new Float64Array(memory.buffer, sumsOffset, tiles * PANEL * PANEL);
  sums.fill(0);
  // Byte offset of tile (ip, jp), jp ≥ ip, in the upper triangle stored row by row.
  const sumAt = (ip: number, jp: number): number =>
    sumsOffset + (ip * panels - (ip * (ip - 1)) / 2 + (jp - ip)) * TILE_BYTES;
  for (let t0 = 0; t0 < T; t0 += CHUNK_ROWS) {
    const rows = Math.min(CHUNK_ROWS, T - t0);
    const rowBytes = t0 * PANEL * 8;
    for (let jb = 0; jb < panels; jb += BLOCK_PANELS) {
      const jEnd = Math.min(panels, jb + BLOCK_PANELS);
      for (let ip = 0; ip < jEnd; ip++) {
        const p = ip * panelBytes + rowBytes;
        for (let jp = Math.max(ip, jb); jp < jEnd; jp++)
          tile(p, jp * panelBytes + rowBytes, rows, sumAt(ip, jp));
      }
    }
  }
  const out = new Float64Array(n * n);
  for (let ip = 0; ip < panels; ip++) {
    for (let jp = ip; jp < panels; jp++) {
      const at = (sumAt(ip, jp) - sumsOffset) / 8;
      scatterTile(sums.subarray(at, at + PANEL * PANEL), ip * PANEL, jp * PANEL, n, divisor, out);
    }
  }
  return out;
}

/** Bytes of one tile's 16 sums. */
const TILE_BYTES = PANEL * PANEL * 8;
/** Rows per time chunk: one row panel's chunk is 8 KiB (L1). */
const CHUNK_ROWS = 256;
/** Column panels per block: a block's chunks are 512 KiB (L2). */
const BLOCK_PANELS = 64;

/**
 * heap[panel p][t][c] = data[t][4p + c] − means[4p + c] (0 past column n), in blocks of rows: a block of
 * the input stays in cache while each panel receives one contiguous run.
 */
function packPanels(data: Float64Array, T: number, n: number, means: Float64Array, heap: Float64Array): void {
  const panelSize = T * PANEL;
  const panels = Math.ceil(n / PANEL);
  for (let t0 = 0; t0 < T; t0 += PACK_ROWS) {
    const t1 = Math.min(T, t0 + PACK_ROWS);
    for (let p = 0; p < panels; p++) {
      const j0 = p * PANEL;
      const width = Math.min(PANEL, n - j0);
      let at = p * panelSize + t0 * PANEL;
      if (width === PANEL) {
        // Full panels (all but the last) unrolled: a third of the packing time at 200 assets.
        const m0 = means[j0] as number;
        const m1 = means[j0 + 1] as number;
        const m2 = means[j0 + 2] as number;
        const m3 = means[j0 + 3] as number;
        for (let row = t0 * n + j0; row < t1 * n; row += n) {
          heap[at] = (data[row] as number) - m0;
          heap[at + 1] = (data[row + 1] as number) - m1;
          heap[at + 2] = (data[row + 2] as number) - m2;
          heap[at + 3] = (data[row + 3] as number) - m3;
          at += PANEL;
        }
        continue;
      }
      for (let t = t0; t < t1; t++) {
        const row = t * n + j0;
        for (let c = 0; c < width; c++) heap[at + c] = (data[row + c] as number) - (means[j0 + c] as number);
        for (let c = width; c < PANEL; c++) heap[at + c] = 0;
        at += PANEL;
      }
    }
  }
}

/** Rows per packing block (64 rows of 500 assets: 256 KiB). */
const PACK_ROWS = 64;

function scatterTile(
  res: Float64Array,
  i0: number,
  j0: number,
  n: number,
  divisor: number,
  out: Float64Array,
): void {
  for (let a = 0; a < PANEL && i0 + a < n; a++) {
    for (let b = 0; b < PANEL && j0 + b < n; b++) {
      const v = (res[a * PANEL + b] as number) / divisor;
      out[(i0 + a) * n + j0 + b] = v;
      out[(j0 + b) * n + i0 + a] = v;
    }
  }
}
