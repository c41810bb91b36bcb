/**
 * The kinks' slopes of the CVaR vertex simplex (`subtractColumns` in _cvar-vertex-simplex.ts) in
 * WebAssembly SIMD: ρ_t −= Σ_k cols[moving_k][t]·d[moving_k], the moving assets four at a time and in
 * their order, two scenarios per f64x2 instruction.
 *
 * Every scenario gets the JavaScript loop's operations in the same order — ((((ρ − c₀d₀) − c₁d₁) − c₂d₂)
 * − c₃d₃) per group of four, then one asset at a time for the rest — each product and each difference
 * rounded on its own (no fused multiply-add), so ρ is the same to the last bit (a test holds them
 * together). The working set's returns live in the instance's memory (the simplex writes them there
 * when its working set changes), so a pivot copies only the moving assets' offsets and directions in.
 */
import {
  at,
  addTo,
  encodeModule,
  get,
  I32,
  i32Const,
  mem,
  OP,
  set,
  simd,
  SIMD_OP,
  V128,
  WasmKernel,
  whileBelow,
} from '../linalg/_wasm.js';

// Parameters: byte offsets of ρ (T entries), of the moving columns' byte offsets (i32, m of them) and of
// their directions (f64, m); m; T.
const [RHO, OFFS, DIRS, M, T] = [0, 1, 2, 3, 4];
// Locals (i32): the asset counter, the byte index into a column, the bytes of the scenario pairs, the
// four columns' offsets, the address of the directions of a group.
const [K, TB, PAIRS, C0, C1, C2, C3, DA] = [5, 6, 7, 8, 9, 10, 11, 12];
// Locals (v128): the four directions, splat.
const [V0, V1, V2, V3] = [13, 14, 15, 16];

const I32_LOAD = 0x28;
const I32_GT_U = 0x4b;
const I32_SHR_U = OP.i32ShrU;

/** i32.load of base + offset (4-byte aligned). */
const loadI32 = (base: number, offset: number): number[] => [...get(base), I32_LOAD, 2, offset];
const loadPair = (base: number): number[] => [...at(base, TB), ...simd(SIMD_OP.v128Load, ...mem(0))];
const loadOne = (base: number): number[] => [...at(base, TB), OP.f64Load, ...mem(0)];

/** ρ[pair] − c[pair]·d for the columns and directions given, in order, on the value on the stack. */
function pairTerms(columns: readonly number[], dirs: readonly number[]): number[] {
  return columns.flatMap((c, i) => [
    ...loadPair(c),
    ...get(dirs[i] as number),
    ...simd(SIMD_OP.f64x2Mul),
    ...simd(SIMD_OP.f64x2Sub),
  ]);
}

/** The same for the last scenario when T is odd (lane 0 of each direction). */
function oneTerms(columns: readonly number[], dirs: readonly number[]): number[] {
  return columns.flatMap((c, i) => [
    ...loadOne(c),
    ...get(dirs[i] as number),
    ...simd(SIMD_OP.f64x2ExtractLane, 0),
    OP.f64Mul,
    OP.f64Sub,
  ]);
}

/** Every scenario of ρ loses the terms of `columns` (their offsets and splat directions set). */
function passCode(columns: readonly number[], dirs: readonly number[]): number[] {
  return [
    ...i32Const(0),
    ...set(TB),
    ...whileBelow(TB, PAIRS, [
      ...at(RHO, TB),
      ...loadPair(RHO),
      ...pairTerms(columns, dirs),
      ...simd(SIMD_OP.v128Store, ...mem(0)),
      ...addTo(TB, 16),
    ]),
    // T odd: the last scenario, at byte PAIRS, in scalar arithmetic.
    ...get(T),
    ...i32Const(1),
    OP.i32And,
    OP.if,
    0x40,
    ...at(RHO, TB),
    ...loadOne(RHO),
    ...oneTerms(columns, dirs),
    OP.f64Store,
    ...mem(0),
    OP.end,
  ];
}

/** subtract(ρ, offsets, directions, m, T). */
function subtractCode(): number[] {
  const splat = (local: number, offset: number): number[] => [
    ...get(DA),
    ...simd(SIMD_OP.v128Load64Splat, ...mem(offset)),
    ...set(local),
  ];
  return [
    // Bytes of the scenario pairs: (T >> 1) · 16.
    ...get(T),
    ...i32Const(1),
    I32_SHR_U,
    ...i32Const(4),
    OP.i32Shl,
    ...set(PAIRS),
    ...i32Const(0),
    ...set(K),
    // Groups of four moving assets while k + 4 ≤ m.
    OP.block,
    0x40,
    OP.loop,
    0x40,
    ...get(K),
    ...i32Const(4),
    OP.i32Add,
    ...get(M),
    I32_GT_U,
    OP.brIf,
    1,
    ...get(OFFS),
    ...get(K),
    ...i32Const(2),
    OP.i32Shl,
    OP.i32Add,
    ...set(C3),
    ...loadI32(C3, 0),
    ...set(C0),
    ...loadI32(C3, 4),
    ...set(C1),
    ...loadI32(C3, 8),
    ...set(C2),
    ...loadI32(C3, 12),
    ...set(C3),
    ...get(DIRS),
    ...get(K),
    ...i32Const(3),
    OP.i32Shl,
    OP.i32Add,
    ...set(DA),
    ...splat(V0, 0),
    ...splat(V1, 8),
    ...splat(V2, 16),
    ...splat(V3, 24),
    ...passCode([C0, C1, C2, C3], [V0, V1, V2, V3]),
    ...addTo(K, 4),
    OP.br,
    0,
    OP.end,
    OP.end,
    // The rest, one asset at a time.
    OP.block,
    0x40,
    OP.loop,
    0x40,
    ...get(K),
    ...get(M),
    OP.i32GeU,
    OP.brIf,
    1,
    ...get(OFFS),
    ...get(K),
    ...i32Const(2),
    OP.i32Shl,
    OP.i32Add,
    ...set(C0),
    ...loadI32(C0, 0),
    ...set(C0),
    ...get(DIRS),
    ...get(K),
    ...i32Const(3),
    OP.i32Shl,
    OP.i32Add,
    ...set(DA),
    ...splat(V0, 0),
    ...passCode([C0], [V0]),
    ...addTo(K, 1),
    OP.br,
    0,
    OP.end,
    OP.end,
  ];
}

type SubtractFn = (rho: number, offsets: number, directions: number, m: number, T: number) => void;

const kernel = new WasmKernel(
  () =>
    encodeModule([
      {
        name: 'subtract',
        params: [I32, I32, I32, I32, I32],
        locals: [
          [8, I32],
          [4, V128],
        ],
        code: subtractCode(),
      },
    ]),
  0,
);

/** Bytes of linear memory a problem may take at most (32-bit addresses; the kernel falls back above). */
const MAX_BYTES = 2 ** 31;
/** A released memory is kept for the next simplex up to this size (larger ones go back to the system). */
const KEEP_BYTES = 64 * 2 ** 20;
/** Returns (assets × scenarios) from which the kernel is used: below, the JavaScript loop is as fast. */
const SLOPES_SIMD_MIN_ENTRIES = 4096;

interface KernelMemory {
  readonly buffer: ArrayBuffer;
  readonly subtract: SubtractFn;
}

/**
 * The memory the last simplex released, taken by the next one that fits in it: a process solving many
 * small problems (a walk-forward) reuses one instance instead of reserving a new memory per solve.
 */
let spare: KernelMemory | undefined;

/**
 * The memory of one simplex's slopes: the working set's returns by asset (n × T of at most `maxT`
 * scenarios), ρ, and room for a pivot's moving assets. Its views stay valid until {@link release} (a
 * memory of its own meanwhile, never grown).
 */
export class SlopeArena {
  private readonly rhoAt: number;
  private readonly offsets: Int32Array;
  private readonly directions: Float64Array;
  private memory: KernelMemory | undefined;

  private constructor(
    memory: KernelMemory,
    private readonly n: number,
    maxT: number,
  ) {
    this.memory = memory;
    this.rhoAt = 8 * n * maxT;
    const dirsAt = this.rhoAt + 8 * (maxT + 1);
    this.directions = new Float64Array(memory.buffer, dirsAt, n);
    this.offsets = new Int32Array(memory.buffer, dirsAt + 8 * n, n);
  }

  /**
   * An arena for n assets and up to `maxT` scenarios, or undefined where the kernel does not run (no
   * WebAssembly SIMD, more than 2 GiB) or does not pay (fewer than `minEntries` returns).
   */
  static create(
    n: number,
    maxT: number,
    enabled = true,
    minEntries = SLOPES_SIMD_MIN_ENTRIES,
  ): SlopeArena | undefined {
    if (!enabled || n * maxT < minEntries) return undefined;
    const bytes = 8 * n * maxT + 8 * (maxT + 1) + 12 * n + 16;
    if (bytes > MAX_BYTES) return undefined;
    if (spare !== undefined && spare.buffer.byteLength >= bytes) {
      const memory = spare;
      spare = undefined;
      return new SlopeArena(memory, n, maxT);
    }
    const instance = kernel.fresh(bytes);
    if (instance === undefined) return undefined;
    const memory = { buffer: instance.memory.buffer, subtract: instance.exports['subtract'] as SubtractFn };
    return new SlopeArena(memory, n, maxT);
  }

  /**
   * Hand the memory back for the next arena (kept when it is not too large); no view of this arena may be
   * used afterwards. Releasing twice is harmless.
   */
  release(): void {
    const memory = this.memory;
    this.memory = undefined;
    if (memory === undefined || memory.buffer.byteLength > KEEP_BYTES) return;
    if (spare === undefined || spare.buffer.byteLength < memory.buffer.byteLength) spare = memory;
  }

  private held(): KernelMemory {
    if (this.memory === undefined) throw new Error("internal: the slopes' memory was released");
    return this.memory;
  }

  /** The returns of T scenarios by asset (n × T), to be filled by the caller. */
  columns(T: number): Float64Array {
    return new Float64Array(this.held().buffer, 0, this.n * T);
  }

  /** ρ for T scenarios. */
  rho(T: number): Float64Array {
    return new Float64Array(this.held().buffer, this.rhoAt, T);
  }

  /**
   * ρ −= Σ_k cols[moving_k]·d[moving_k] (ρ and the columns: the views of {@link rho} and
   * {@link columns} for the same T), the same bits as `subtractColumns`.
   */
  subtract(T: number, moving: readonly number[], d: Float64Array): void {
    const m = moving.length;
    const { offsets, directions } = this;
    for (let k = 0; k < m; k++) {
      const i = moving[k] as number;
      offsets[k] = 8 * i * T;
      directions[k] = d[i] as number;
    }
    this.held().subtract(this.rhoAt, offsets.byteOffset, directions.byteOffset, m, T);
  }
}
