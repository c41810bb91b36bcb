// Crash safety of `quant meta run`: the built CLI is SIGKILLed at every atomic write of a small meta run —
// right after the n-th write (QUANT_CRASH_AFTER_WRITES=n) and halfway through it, before the rename
// (QUANT_CRASH_DURING_WRITE=n) — for n = 1, 2, ... until a run gets through. After each kill:
// - every file of the run folder is complete (every JSON parses, every Parquet reads), and once the run is
//   listed no temp file of the dead writer is left;
// - the ledger verifies;
// - `quant runs list` shows the run `incomplete` (or `success` when the kill came after the last write);
// - a re-run with the same run id refuses (E_RUN_EXISTS), saying where the run stopped, and changes
//   nothing; a run killed before run.json existed is simply started anew.
// The first pass runs without a cache entry (every stage computes), the second with one (restore path).
//
// npm test kills after every sixth write (crash-safety.test.ts); npm run test:slow after and during each
// write (crash-safety.slow.test.ts).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parquetMetadata, parquetReadObjects, parquetSchema } from 'hyparquet';
import { CLI, quant, tempDir } from '../helpers/cli.js';
import { SMALL_META_PROFILE, buildSmallMetaWorkspace } from '../helpers/small-meta-workspace.js';
import { QuantSDK } from '../../src/sdk/quant-sdk.js';
import { auditRun, readTable, verifyLedger } from '../../src/artifacts/index.js';
import { validateMetaRun } from '../../src/stages/meta/validate-run.js';
import { QuantError } from '../../src/errors.js';

/**
 * Read a Parquet artifact whole: a dated table through readTable, a record table (attribution rows,
 * no `date` column) through the Parquet reader itself. Either way a torn file throws.
 */
async function readParquet(path: string): Promise<void> {
  const bytes = new Uint8Array(readFileSync(path)).buffer;
  const columns = parquetSchema(parquetMetadata(bytes)).children.map((c) => c.element.name);
  if (columns.includes('date')) await readTable(path);
  else assert.ok((await parquetReadObjects({ file: bytes })).length > 0, `${path}: no rows`);
}

const EPOCH = '1767225600';
const TEMP = /^\..+\.\d+\.[0-9a-f]{12}\.tmp$/;
const HOOK = { after: 'QUANT_CRASH_AFTER_WRITES', during: 'QUANT_CRASH_DURING_WRITE' } as const;
export type Mode = keyof typeof HOOK;

interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

function metaRun(ws: string, runId: string, env: Record<string, string>): Promise<Exit> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [CLI, 'meta', 'run', '--profile', SMALL_META_PROFILE, '--run-id', runId, '--workspace', ws],
      { env: { ...process.env, CI: '1', SOURCE_DATE_EPOCH: EPOCH, ...env } },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p).map((f) => `${name}/${f}`) : [name];
  });
}

function snapshot(dir: string): Map<string, string> {
  return new Map(
    files(dir).map((f) => [
      f,
      createHash('sha256')
        .update(readFileSync(join(dir, f)))
        .digest('hex'),
    ]),
  );
}

/** The stage of the last intent without an outcome, read from the ledger text independently. */
function openStage(auditFile: string): string | null {
  const open: string[] = [];
  for (const line of readFileSync(auditFile, 'utf8').split('\n')) {
    if (line === '') continue;
    const r = JSON.parse(line) as { type: string; step: string };
    if (r.type === 'intent') open.push(r.step);
    else if (r.type === 'outcome' && open.lastIndexOf(r.step) >= 0) open.splice(open.lastIndexOf(r.step), 1);
  }
  return open.at(-1) ?? null;
}

/**
 * Kill a run at write n = 1, 1 + stride, 1 + 2·stride, ... (two at a time) until one gets through; the
 * killed run ids, and `writes`: the number of writes of a run (stride 1) or an upper bound of it.
 */
async function crashAtEveryWrite(
  ws: string,
  mode: Mode,
  stride: number,
): Promise<{ killed: string[]; writes: number }> {
  const killed: string[] = [];
  for (let n = 1; n < 400; n += 2 * stride) {
    const batch = await Promise.all(
      [n, n + stride].map(async (k) => ({
        k,
        id: `${mode}${k}`,
        r: await metaRun(ws, `${mode}${k}`, { [HOOK[mode]]: String(k) }),
      })),
    );
    let through: number | undefined;
    for (const { k, id, r } of batch) {
      if (r.signal === 'SIGKILL') killed.push(id);
      else {
        assert.equal(r.code, 0, `${id}: ${r.stderr}`);
        through ??= k;
      }
    }
    if (through !== undefined)
      return { killed: killed.filter((id) => Number(id.slice(mode.length)) < through), writes: through - 1 };
  }
  throw new Error('the run never got through');
}

/**
 * Registers the crash-safety suite for the given kill points: crash-safety.test.ts (npm test) kills after
 * every sixth write (`stride` 6), crash-safety.slow.test.ts (npm run test:slow) after and during each write.
 */
export function defineCrashSafetySuite(modes: readonly Mode[], stride = 1): void {
  const every =
    stride === 1 ? 'each' : `every ${stride === 2 ? 'second' : stride === 3 ? 'third' : `${stride}th`}`;
  describe(`crash safety of quant meta run (${modes.join(', ')}${stride === 1 ? '' : `, ${every} write`})`, () => {
    let ws: { path: string; cleanup(): void };
    before(async () => {
      ws = tempDir('quant-crash-');
      await buildSmallMetaWorkspace(ws.path, 60);
    });
    after(() => ws.cleanup());

    for (const mode of modes) {
      test(`SIGKILL ${mode} ${every} atomic write: complete files, a verified ledger, incomplete, a refused re-run`, async () => {
        const { killed, writes } = await crashAtEveryWrite(ws.path, mode, stride);
        assert.ok(writes >= 15, `only ${writes} writes`);
        assert.equal(
          killed.length,
          Math.ceil(writes / stride),
          'every write tried before the run got through killed it',
        );
        const dir = (id: string): string => join(ws.path, 'runs', id);
        if (mode === 'during') {
          // The hook tears the temp file of the write it kills in; nothing but the temp file is torn.
          // A kill in the cache store comes after every artifact is written (the run still says running):
          // its torn file is in the cache's temp folder, which the next run sweeps (e2e/meta-cache).
          const artifacts = (id: string): string =>
            files(dir(id))
              .filter((f) => f !== '.lock')
              .join(',');
          const full = artifacts(`${mode}${writes + 1}`);
          const complete = (id: string): boolean => artifacts(id) === full;
          const untorn = killed.filter(
            (id) => !complete(id) && !files(dir(id)).some((f) => TEMP.test(f.split('/').at(-1) ?? '')),
          );
          assert.deepEqual(
            untorn.map((id) => `${id}: ${files(dir(id)).join(', ')}`),
            [],
            'every killed run holds the torn temp file of the write it was killed in',
          );
        }
        const listed = quant(['runs', 'list', '--json', '--workspace', ws.path]);
        assert.equal(listed.code, 0, listed.stderr);
        const status = new Map(
          (JSON.parse(listed.stdout) as { run_id: string; status: string }[]).map((r) => [
            r.run_id,
            r.status,
          ]),
        );

        for (const id of killed) {
          const names = files(dir(id));
          const hasRunJson = existsSync(join(dir(id), 'run.json'));
          for (const f of names) {
            const base = f.split('/').at(-1) as string;
            if (base === '.lock' || (TEMP.test(base) && !hasRunJson)) continue;
            assert.ok(!TEMP.test(base), `${id}: temp file ${f} left after the run was listed`);
            const path = join(dir(id), f);
            if (f.endsWith('.json'))
              assert.doesNotThrow(() => JSON.parse(readFileSync(path, 'utf8')), `${id}/${f}`);
            else if (f.endsWith('.parquet')) await readParquet(path);
            else if (f === 'audit.jsonl') assert.equal((await verifyLedger(path)).ok, true, `${id}: ledger`);
            else assert.ok(statSync(path).size > 0, `${id}/${f} is empty`);
          }
          if (!hasRunJson) {
            // Killed while writing run.json, the very first write: nothing to resume or refuse.
            const again = await metaRun(ws.path, id, {});
            assert.equal(again.code, 0, again.stderr);
            assert.ok(
              !files(dir(id)).some((f) => TEMP.test(f.split('/').at(-1) ?? '')),
              `${id}: temp file survived`,
            );
            continue;
          }
          const s = status.get(id);
          const json = JSON.parse(readFileSync(join(dir(id), 'run.json'), 'utf8')) as Record<string, unknown>;
          if (s === 'success') {
            // Killed after its last write (run.json success): a complete run.
            assert.equal((await validateMetaRun(ws.path, id)).ok, true, `${id} validates`);
            continue;
          }
          assert.equal(s, 'incomplete', `${id}: listed ${s}`);
          assert.equal(json['status'], 'incomplete', `${id}: run.json not persisted`);
          const stage = existsSync(join(dir(id), 'audit.jsonl'))
            ? openStage(join(dir(id), 'audit.jsonl'))
            : null;
          assert.equal(json['interrupted_stage'], stage, `${id}: interrupted stage`);
          if (stage !== null)
            assert.equal(
              (await auditRun(ws.path, id)).anchor.state,
              'match',
              `${id}: settling anchored the ledger the killed process left`,
            );
          const before = snapshot(dir(id));
          await assert.rejects(
            QuantSDK.runMeta(SMALL_META_PROFILE, {
              workspace: ws.path,
              runId: id,
              env: { SOURCE_DATE_EPOCH: EPOCH },
            }),
            (e: unknown) =>
              e instanceof QuantError &&
              e.code === 'E_RUN_EXISTS' &&
              e.message.includes(`run ${id} already exists (status incomplete: interrupted `) &&
              (stage === null || e.message.includes(`during stage ${stage}`)),
            'QuantSDK.runMeta rejects with E_RUN_EXISTS',
          );
          assert.deepEqual(snapshot(dir(id)), before, `${id}: the refused re-run changed the run`);
        }
        // Through the CLI once, for a run killed inside a stage: the refusal and `meta validate` name it.
        const inStage = killed.filter((id) => {
          const file = join(dir(id), 'run.json');
          return (
            existsSync(file) &&
            typeof (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>)[
              'interrupted_stage'
            ] === 'string'
          );
        });
        const mid = inStage[Math.floor(inStage.length / 2)] as string;
        const rerun = quant([
          'meta',
          'run',
          '--profile',
          SMALL_META_PROFILE,
          '--run-id',
          mid,
          '--workspace',
          ws.path,
        ]);
        assert.equal(rerun.code, 1, `exit code (stderr: ${rerun.stderr})`);
        assert.match(
          rerun.stderr,
          new RegExp(
            `^E_RUN_EXISTS: run ${mid} already exists \\(status incomplete: interrupted during stage meta\\.`,
          ),
          'rerun.stderr matches new RegExp( `^E_RUN_EXISTS: run ${mid} already exists \\\\(st…',
        );
        const validate = quant(['meta', 'validate', '--run-id', mid, '--workspace', ws.path]);
        assert.equal(validate.code, 1, `exit code (stderr: ${validate.stderr})`);
        assert.match(
          validate.stdout,
          /^FAIL {2}run\.json: .*status is incomplete \(interrupted/m,
          'validate.stdout matches /^FAIL {2}run\\.json: .*status is incomplete \\(interrupted/m',
        );
      });
    }
  });
}
