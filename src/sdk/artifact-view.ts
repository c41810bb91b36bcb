/**
 * Reading run artifacts by address (`quant://runs/<run_id>/<path>`), confined to the workspace: the
 * data behind `quant runs show` and the MCP resources. Parquet is summarised (shape + head), JSON parsed,
 * text passed through, a folder listed.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { formatArtifactAddress } from '../core/address.js';
import { QuantError } from '../errors.js';
import {
  LedgerKey,
  listRuns,
  readParquetPreview,
  readTable,
  resolveInside,
  runDir,
} from '../artifacts/index.js';
import type { Env } from '../util/env.js';

/** Rows shown by a table summary. */
const TABLE_HEAD_ROWS = 5;

/** One file of a run folder. */
export interface ArtifactEntry {
  readonly runId: string;
  /** Path inside the run folder, `/`-separated. */
  readonly path: string;
  readonly address: string;
  readonly bytes: number;
  /** MIME type of what reading the address returns. */
  readonly mimeType: string;
}

export type TableCell = string | number | null;

export type ArtifactView =
  | { readonly kind: 'json'; readonly address: string; readonly value: unknown }
  | {
      readonly kind: 'table';
      readonly address: string;
      readonly format: 'parquet';
      /** `[rows, columns]`, the date column (if any) included (as pandas reports it). */
      readonly shape: readonly [number, number];
      readonly columns: readonly string[];
      readonly head: readonly Readonly<Record<string, TableCell>>[];
    }
  | { readonly kind: 'text'; readonly address: string; readonly mimeType: string; readonly text: string }
  | { readonly kind: 'listing'; readonly address: string; readonly files: readonly ArtifactEntry[] }
  | {
      readonly kind: 'binary';
      readonly address: string;
      readonly mimeType: string;
      readonly bytes: Uint8Array;
    };

const TEXT_TYPES: Readonly<Record<string, string>> = {
  '.md': 'text/markdown',
  '.html': 'text/html',
  '.htm': 'text/html',
  '.csv': 'text/csv',
  '.jsonl': 'application/jsonl',
  '.txt': 'text/plain',
  '.log': 'text/plain',
  '.svg': 'image/svg+xml',
};
const PARQUET = new Set(['.parquet', '.pq']);

/** The MIME type of what reading `path` returns (a Parquet file reads as its JSON summary). */
function artifactMimeType(path: string): string {
  const ext = extname(path).toLowerCase();
  if (ext === '.json' || PARQUET.has(ext)) return 'application/json';
  return TEXT_TYPES[ext] ?? 'application/octet-stream';
}

/**
 * The absolute path of `path` inside run `runId`, refused (`E_PATH_ESCAPE`) if it leaves the workspace
 * — through `..` or through a symlink anywhere on the way, the run folder itself included.
 */
export async function resolveArtifactPath(workspace: string, runId: string, path: string): Promise<string> {
  runDir(workspace, runId); // E_RUN_ID before any file is touched
  return resolveInside(workspace, join('runs', runId, path));
}

async function statOrUndefined(path: string): Promise<Awaited<ReturnType<typeof stat>> | undefined> {
  return stat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined;
    throw error;
  });
}

// Hidden entries are the run lock and in-flight temp files; symlinks are not followed, so a listing
// never shows (or loops through) anything outside the run.
async function walk(runId: string, abs: string, rel: string, out: ArtifactEntry[]): Promise<void> {
  const entries = await readdir(abs, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const childRel = rel === '' ? entry.name : `${rel}/${entry.name}`;
    const childAbs = join(abs, entry.name);
    if (entry.isDirectory()) await walk(runId, childAbs, childRel, out);
    else if (entry.isFile()) {
      out.push({
        runId,
        path: childRel,
        address: formatArtifactAddress(runId, childRel),
        bytes: (await stat(childAbs)).size,
        mimeType: artifactMimeType(childRel),
      });
    }
  }
}

/** Files of run `runId` (or of one folder inside it), sorted by path. */
async function listRunArtifacts(workspace: string, runId: string, path = ''): Promise<ArtifactEntry[]> {
  const abs = await resolveArtifactPath(workspace, runId, path);
  const out: ArtifactEntry[] = [];
  await walk(runId, abs, path, out);
  return out;
}

/**
 * Files of every run of the workspace (runs with a readable run.json), run by run. A run whose process
 * died is settled as `quant runs list` settles it, signed with the key of `env` (`QUANT_LEDGER_KEY`).
 */
export async function listWorkspaceArtifacts(workspace: string, env: Env): Promise<ArtifactEntry[]> {
  const key = LedgerKey.forSettling(env);
  const out: ArtifactEntry[] = [];
  for (const run of await listRuns(workspace, key === undefined ? {} : { key }))
    out.push(...(await listRunArtifacts(workspace, run.run_id)));
  return out;
}

function tableCell(value: number): TableCell {
  return Number.isFinite(value) ? value : null;
}

/**
 * Read what an artifact address names; a Parquet file is its shape and first rows, a dated table with its
 * dates as calendar days, any other table (no date column, text columns) as its cells are.
 * Errors: `E_RUN_ID`, `E_PATH_ESCAPE`, `E_RUN_NOT_FOUND`, `E_ARTIFACT_MISSING`, and the table reader's
 * codes for a Parquet file that cannot be read.
 */
export async function readArtifactView(
  workspace: string,
  runId: string,
  path: string,
): Promise<ArtifactView> {
  const address = formatArtifactAddress(runId, path);
  const abs = await resolveArtifactPath(workspace, runId, path);
  if ((await statOrUndefined(runDir(workspace, runId))) === undefined) {
    throw new QuantError('E_RUN_NOT_FOUND', `run ${runId} does not exist in ${workspace}`, {
      hint: 'see `quant runs list`',
      details: { address },
    });
  }
  const info = await statOrUndefined(abs);
  // Run bookkeeping (hidden files: the lock, temp files), which no listing shows, is not an artifact; nor
  // is anything but a file or a folder (a FIFO would block the read for ever).
  const hidden = path.split('/').some((segment) => segment.startsWith('.'));
  if (info === undefined || hidden || !(info.isFile() || info.isDirectory())) {
    throw new QuantError('E_ARTIFACT_MISSING', `${address} does not exist`, {
      location: { file: join('runs', runId, path) },
      hint: `\`quant runs show ${formatArtifactAddress(runId)}\` lists the artifacts of the run`,
      details: { address },
    });
  }
  if (info.isDirectory())
    return { kind: 'listing', address, files: await listRunArtifacts(workspace, runId, path) };
  const ext = extname(path).toLowerCase();
  if (PARQUET.has(ext)) {
    const table = await readTable(abs, { allowMissing: true }).catch((error: unknown) => {
      // No date column (or not a dated table of numbers): shown as it is, below.
      if (error instanceof QuantError && error.code === 'E_INPUT_COLUMN') return undefined;
      throw error;
    });
    if (table === undefined) {
      const preview = await readParquetPreview(abs, TABLE_HEAD_ROWS);
      return {
        kind: 'table',
        address,
        format: 'parquet',
        shape: [preview.rows, preview.columns.length],
        columns: preview.columns,
        head: preview.head,
      };
    }
    const rows = Math.min(TABLE_HEAD_ROWS, table.dates.length);
    const head = Array.from({ length: rows }, (_, t) => {
      const row: Record<string, TableCell> = { [table.dateColumn]: table.dates[t] ?? null };
      table.columns.forEach((c, j) => (row[c] = tableCell(table.values[j]?.[t] ?? Number.NaN)));
      return row;
    });
    return {
      kind: 'table',
      address,
      format: 'parquet',
      shape: [table.dates.length, table.columns.length + 1],
      columns: [table.dateColumn, ...table.columns],
      head,
    };
  }
  const bytes = await readFile(abs);
  const mimeType = artifactMimeType(path);
  if (ext === '.json') {
    try {
      return { kind: 'json', address, value: JSON.parse(bytes.toString('utf8')) as unknown };
    } catch {
      return { kind: 'text', address, mimeType: 'text/plain', text: bytes.toString('utf8') };
    }
  }
  if (mimeType !== 'application/octet-stream')
    return { kind: 'text', address, mimeType, text: bytes.toString('utf8') };
  return { kind: 'binary', address, mimeType, bytes: new Uint8Array(bytes) };
}
