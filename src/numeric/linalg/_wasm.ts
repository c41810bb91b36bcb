/**
 * A small WebAssembly encoder and instance keeper for the numeric kernels written in WebAssembly SIMD
 * (the covariance's Gram tiles, the risk-parity coordinate sweep). The modules are encoded in the
 * TypeScript source rather than shipped as binaries, so what runs is readable where it is used.
 *
 * Only what the kernels use is here: the binary format's LEB128 integers, sections, a few opcodes, and
 * an instance whose linear memory is imported and kept between calls.
 */

export const I32 = 0x7f;
export const F64 = 0x7c;
export const V128 = 0x7b;
/** Block type of a block, loop or if that leaves nothing on the stack. */
export const EMPTY = 0x40;

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

/** Signed LEB128 of a 32-bit integer (the immediate of `i32.const`). */
function sleb(value: number): number[] {
  const out: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

function section(id: number, body: readonly number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function name(text: string): number[] {
  return [...uleb(text.length), ...Array.from(text, (c) => c.charCodeAt(0))];
}

export const get = (i: number): number[] => [0x20, i];
export const set = (i: number): number[] => [0x21, i];
export const tee = (i: number): number[] => [0x22, i];
export const i32Const = (v: number): number[] => [0x41, ...sleb(v)];
/** f64.const v (8 little-endian bytes). */
export const f64Const = (v: number): number[] => [0x44, ...new Uint8Array(Float64Array.of(v).buffer)];
export const simd = (op: number, ...imm: number[]): number[] => [0xfd, ...uleb(op), ...imm];
/** memarg: alignment exponent 3 (8 bytes, what Float64Array data guarantee) and a byte offset. */
export const mem = (offset: number): number[] => [3, ...uleb(offset)];

/** The opcodes the kernels use (WebAssembly core specification 2.0, section 5.4). */
export const OP = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  return: 0x0f,
  f64Load: 0x2b,
  f64Store: 0x39,
  i32Eqz: 0x45,
  i32Eq: 0x46,
  i32LtS: 0x48,
  i32LtU: 0x49,
  i32GeU: 0x4f,
  f64Ne: 0x62,
  f64Gt: 0x64,
  f64Ge: 0x66,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  i32And: 0x71,
  i32Or: 0x72,
  i32Shl: 0x74,
  i32ShrU: 0x76,
  f64Neg: 0x9a,
  f64Sqrt: 0x9f,
  f64Add: 0xa0,
  f64Sub: 0xa1,
  f64Mul: 0xa2,
  f64Div: 0xa3,
  f64Min: 0xa4,
  f64Max: 0xa5,
} as const;

/** The SIMD opcodes (after the 0xfd prefix) the kernels use. */
export const SIMD_OP = {
  v128Load: 0,
  v128Load64Splat: 10,
  v128Store: 11,
  v128Load64Lane: 87,
  v128Store64Lane: 91,
  v128Load64Zero: 93,
  f64x2Splat: 20,
  f64x2ExtractLane: 33,
  f64x2Add: 240,
  f64x2Sub: 241,
  f64x2Mul: 242,
} as const;

/** The address base + off of two i32 locals. */
export const at = (base: number, off: number): number[] => [0x20, base, 0x20, off, 0x6a];

/** local += step (i32). */
export const addTo = (local: number, step: number): number[] => [
  ...get(local),
  0x41,
  ...sleb(step),
  0x6a,
  ...set(local),
];

/** `while (local < limit) { body }` on unsigned i32 locals (the body advances `local`). */
export function whileBelow(local: number, limit: number, body: readonly number[]): number[] {
  return [
    0x02,
    EMPTY,
    0x03,
    EMPTY,
    ...get(local),
    ...get(limit),
    0x4f,
    0x0d,
    1,
    ...body,
    0x0c,
    0,
    0x0b,
    0x0b,
  ];
}

/** One exported function: its parameter types, its locals as [count, type] runs, and its code. */
export interface WasmFunction {
  readonly name: string;
  readonly params: readonly number[];
  readonly locals: readonly (readonly [number, number])[];
  readonly code: readonly number[];
  /** The result types (none by default). */
  readonly results?: readonly number[];
}

/** A module importing `env.memory` and exporting the given functions. */
export function encodeModule(functions: readonly WasmFunction[]): Uint8Array {
  const types = functions.flatMap((f) => [
    0x60,
    ...uleb(f.params.length),
    ...f.params,
    ...uleb(f.results?.length ?? 0),
    ...(f.results ?? []),
  ]);
  const exports = functions.flatMap((f, i) => [...name(f.name), 0x00, i]);
  const bodies = functions.flatMap((f) => {
    const body = [
      ...uleb(f.locals.length),
      ...f.locals.flatMap(([n, t]) => [...uleb(n), t]),
      ...f.code,
      OP.end,
    ];
    return [...uleb(body.length), ...body];
  });
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [...uleb(functions.length), ...types]),
    ...section(2, [1, ...name('env'), ...name('memory'), 0x02, 0x00, 1]),
    ...section(3, [...uleb(functions.length), ...functions.map((_, i) => i)]),
    ...section(7, [...uleb(functions.length), ...exports]),
    ...section(10, [...uleb(functions.length), ...bodies]),
  ]);
}

/** The part of the WebAssembly JS API used here (the project compiles without DOM typings). */
export interface WasmMemory {
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

export interface WasmInstance {
  readonly memory: WasmMemory;
  readonly exports: Record<string, unknown>;
}

/** Released instances a kernel keeps for its next leases: at most `size`, each at most `maxBytes`. */
export interface WasmPoolLimits {
  readonly size: number;
  readonly maxBytes: number;
}

/**
 * A module compiled on first use, and its last instance, kept while its memory is at most `keepBytes`:
 * fresh memory costs a page fault per 4 KiB on first touch (about a third of a whole covariance at 500
 * assets), so a process that calls a kernel many times reuses the pages it already has. Where an object
 * holds views of a memory across calls (a solver's factor), it leases an instance of its own instead and
 * gives it back when done; released instances wait in a pool for the next lease.
 */
export class WasmKernel {
  private compiled: object | null | undefined;
  private kept: WasmInstance | undefined;
  private readonly pool: WasmInstance[] = [];

  constructor(
    private readonly encode: () => Uint8Array,
    private readonly keepBytes: number,
    private readonly poolLimits: WasmPoolLimits = { size: 0, maxBytes: 0 },
  ) {}

  /**
   * An instance for the caller alone, with at least `bytes` of memory, until {@link giveBack}: a released
   * one that fits, else the last released one grown (when `bytes` is within the pool's limit), else a
   * fresh one. Undefined where the module is not available.
   */
  lease(bytes: number): WasmInstance | undefined {
    if (!this.available()) return undefined;
    const pool = this.pool;
    const fits = pool.findIndex((m) => m.memory.buffer.byteLength >= bytes);
    const at = fits >= 0 ? fits : bytes <= this.poolLimits.maxBytes ? pool.length - 1 : -1;
    if (at < 0) return this.fresh(bytes);
    const [made] = pool.splice(at, 1) as [WasmInstance];
    const pages = Math.ceil(bytes / 65536);
    const have = made.memory.buffer.byteLength / 65536;
    if (have < pages) made.memory.grow(pages - have);
    return made;
  }

  /** A leased instance back for the next lease (kept within the pool's limits); the caller's views die. */
  giveBack(instance: WasmInstance): void {
    const { size, maxBytes } = this.poolLimits;
    if (this.pool.length < size && instance.memory.buffer.byteLength <= maxBytes) this.pool.push(instance);
  }

  /** Whether the module compiles and validates here (WebAssembly SIMD available). */
  available(): boolean {
    if (this.compiled === undefined) {
      const bytes = this.encode();
      this.compiled = wasm !== undefined && wasm.validate(bytes) ? new wasm.Module(bytes) : null;
    }
    return this.compiled !== null;
  }

  /** A new instance with its own memory of at least `bytes` (not kept), or undefined without the module. */
  fresh(bytes: number): WasmInstance | undefined {
    if (!this.available() || wasm === undefined || this.compiled == null) return undefined;
    const memory = new wasm.Memory({ initial: Math.max(1, Math.ceil(bytes / 65536)) });
    return { memory, exports: new wasm.Instance(this.compiled, { env: { memory } }).exports };
  }

  /** An instance whose memory holds at least `bytes`, or undefined where the module is not available. */
  instance(bytes: number): WasmInstance | undefined {
    if (!this.available() || wasm === undefined || this.compiled == null) return undefined;
    const pages = Math.max(1, Math.ceil(bytes / 65536));
    const kept = this.kept;
    if (kept !== undefined) {
      const have = kept.memory.buffer.byteLength / 65536;
      if (have >= pages) return kept;
      if (pages * 65536 <= this.keepBytes) {
        kept.memory.grow(pages - have);
        return kept;
      }
    }
    const memory = new wasm.Memory({ initial: pages });
    const made = { memory, exports: new wasm.Instance(this.compiled, { env: { memory } }).exports };
    if (pages * 65536 <= this.keepBytes) this.kept = made;
    return made;
  }
}
