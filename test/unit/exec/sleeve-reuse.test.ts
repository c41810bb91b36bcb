// Sleeve reuse by content key: what changes the key, a second `executeSleeves` run reusing every sleeve
// (recorded as `sleeve.source` in the meta ledger), meta artifacts byte-identical whether the sleeves were
// produced or reused, a tampered candidate skipped with a warning, `rebuild` producing under new run ids,
// and two concurrent productions of the same sleeve producing it once.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { readManifest } from '../../../src/manifest/index.js';
import { QuantSDK } from '../../../src/sdk/quant-sdk.js';
import { sleeveKey } from '../../../src/sdk/sleeve-key.js';
import { executeMetaSleeves } from '../../../src/sdk/sleeve-jobs.js';
import { TOOL_VERSION } from '../../../src/sdk/version.js';
import { tempDir } from '../artifacts/_temp.js';
import { buildExecWorkspace, EPOCH, execManifest, STAMP } from './_exec-workspace.js';

const TIMEOUT = { timeout: 120_000 };
const env = { SOURCE_DATE_EPOCH: String(EPOCH) };

/** Every file under `dir` (relative path → bytes as text), lock and temp files left out. */
function files(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p, 'latin1'));
    }
  };
  walk(dir);
  return out;
}

const ledger = (runDir: string): Record<string, unknown>[] =>
  readFileSync(join(runDir, 'audit.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

const sleeveRuns = (ws: string, profile: string): string[] =>
  readdirSync(join(ws, 'runs'))
    .filter((id) => id.startsWith(`${profile}_`))
    .sort();

describe('sleeve key', () => {
  const ws = buildExecWorkspace(tempDir('mf-sleeve-key-'));
  const manifestPath = join(ws, 'manifest.json');
  const keyOf = async (over: { clock?: number | null; version?: string } = {}): Promise<string> => {
    const { manifest } = await readManifest(manifestPath);
    const clock = over.clock === undefined ? EPOCH : over.clock;
    const key = await sleeveKey(ws, manifestPath, manifest, 'sectors', clock, over.version);
    assert.ok(key !== undefined, 'sectors is a sleeve profile');
    assert.match(key.key, /^[0-9a-f]{64}$/, 'the key is a SHA-256');
    return key.key;
  };
  const writeManifest = (doc: unknown): void =>
    writeFileSync(manifestPath, `${JSON.stringify(doc, null, 2)}\n`);

  test('changes with the prices file, the sleeve subtree, the version and the pinned clock only', async () => {
    const base = await keyOf();
    assert.equal(await keyOf(), base, 'the same inputs give the same key');
    assert.notEqual(await keyOf({ version: `${TOOL_VERSION}-next` }), base, 'another tool version');
    assert.notEqual(await keyOf({ clock: EPOCH + 1 }), base, 'another pinned clock');
    assert.notEqual(await keyOf({ clock: null }), base, 'an unpinned clock');

    const other = execManifest();
    (other.profiles['bonds'] as { sleeve: { train_window: number } }).sleeve.train_window = 200;
    writeManifest(other);
    assert.equal(await keyOf(), base, 'another profile of the manifest changed: same key');

    const edited = execManifest();
    (edited.profiles['sectors'] as { sleeve: { step: number } }).sleeve.step = 42;
    writeManifest(edited);
    assert.notEqual(await keyOf(), base, 'its own sleeve subtree changed');
    writeManifest(execManifest());
    assert.equal(await keyOf(), base, 'the subtree restored');

    const prices = join(ws, 'data', 'spisector_prices.csv');
    const bytes = readFileSync(prices);
    writeFileSync(prices, Buffer.concat([bytes, Buffer.from('\n')]));
    assert.notEqual(await keyOf(), base, 'one byte more in the prices file');
    writeFileSync(prices, bytes);
    assert.equal(await keyOf(), base, 'the prices file restored');
  });
});

describe('QuantSDK.runMeta({ executeSleeves }) reuses sleeves by key', TIMEOUT, () => {
  const ws = buildExecWorkspace(tempDir('mf-sleeve-reuse-'));
  const ids = { sectors: `sectors_${STAMP}`, swiss: `swiss_${STAMP}` };

  test('a second run reuses every sleeve; the meta ledger records produced, then reused', async () => {
    const first = await QuantSDK.runMeta('meta_inner', {
      workspace: ws,
      env,
      runId: 'm1',
      cache: false,
      executeSleeves: { concurrency: 2 },
    });
    assert.deepEqual(first.sleeves?.pins, ids, 'first pins');
    assert.deepEqual(
      first.sleeves?.results.map((r) => r.status),
      ['produced', 'produced'],
      'first statuses',
    );
    const keyRecord = ledger(join(ws, 'runs', ids.sectors)).at(-1);
    assert.equal(keyRecord?.['step'], 'sleeve.key', 'the sleeve run records its key last');
    const key = (keyRecord?.['data'] as { key: string }).key;
    assert.equal(first.sleeves?.results[0]?.sleeve_key, key, 'the result carries the same key');

    const notices: string[] = [];
    const second = await QuantSDK.runMeta('meta_inner', {
      workspace: ws,
      env,
      runId: 'm2',
      cache: false,
      executeSleeves: { onNotice: (l) => notices.push(l) },
    });
    assert.deepEqual(second.sleeves?.pins, ids, 'second pins: the same runs');
    assert.deepEqual(
      second.sleeves?.results.map((r) => r.status),
      ['reused', 'reused'],
      'second statuses',
    );
    assert.deepEqual(notices, [], 'no notice');
    assert.deepEqual(sleeveRuns(ws, 'sectors'), [ids.sectors], 'no new sectors run');
    const sources = (run: string) =>
      ledger(join(ws, 'runs', run))
        .filter((r) => r['step'] === 'sleeve.source')
        .map((r) => [(r['context'] as { profile: string }).profile, r['status'], r['data']]);
    assert.deepEqual(
      sources('m1'),
      [
        ['sectors', 'produced', { run_id: ids.sectors, sleeve_key: key }],
        ['swiss', 'produced', { run_id: ids.swiss, sleeve_key: second.sleeves?.results[1]?.sleeve_key }],
      ],
      'm1 sleeve.source records',
    );
    assert.deepEqual(
      sources('m2').map(([profile, status]) => [profile, status]),
      [
        ['sectors', 'reused'],
        ['swiss', 'reused'],
      ],
      'm2 sleeve.source records',
    );
  });

  test('reuse changes no byte of the meta run but the sleeve.source statuses and the ledger head', async () => {
    // The same meta run id in a copy of the workspace without it: its sleeves are reused there.
    const copy = tempDir('mf-sleeve-reuse-copy-');
    cpSync(ws, copy, { recursive: true });
    rmSync(join(copy, 'runs', 'm1'), { recursive: true });
    const again = await QuantSDK.runMeta('meta_inner', {
      workspace: copy,
      env,
      runId: 'm1',
      cache: false,
      executeSleeves: {},
    });
    assert.deepEqual(
      again.sleeves?.results.map((r) => r.status),
      ['reused', 'reused'],
      'reused in the copy',
    );
    const produced = files(join(ws, 'runs', 'm1'));
    const reused = files(join(copy, 'runs', 'm1'));
    assert.deepEqual([...reused.keys()].sort(), [...produced.keys()].sort(), 'the same files');
    const differ = [...produced.keys()].filter((f) => produced.get(f) !== reused.get(f)).sort();
    assert.deepEqual(differ, ['audit.jsonl', 'run.json'], 'only the ledger and its anchor differ');

    const a = ledger(join(ws, 'runs', 'm1'));
    const b = ledger(join(copy, 'runs', 'm1'));
    const firstSource = a.findIndex((r) => r['step'] === 'sleeve.source');
    assert.deepEqual(
      b.slice(0, firstSource),
      a.slice(0, firstSource),
      'every record before them is identical',
    );
    assert.deepEqual(
      b.slice(firstSource).map((r) => ({ ...r, status: 'x', prev_hash: 'x', hash: 'x' })),
      a.slice(firstSource).map((r) => ({ ...r, status: 'x', prev_hash: 'x', hash: 'x' })),
      'the sleeve.source records differ in their status (and chain hashes) only',
    );
    const runJson = (dir: string) => {
      const doc = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as {
        ledger: { head_sha256?: string };
      };
      delete doc.ledger.head_sha256;
      return doc;
    };
    assert.deepEqual(
      runJson(join(copy, 'runs', 'm1')),
      runJson(join(ws, 'runs', 'm1')),
      'run.json differs in ledger.head_sha256 only',
    );
  });

  test('a tampered candidate is not reused: a warning, and a new run under the next run id', async () => {
    const victim = join(ws, 'runs', ids.sectors, 'data', 'portfolio_flattened.json');
    const before = readFileSync(victim);
    writeFileSync(victim, Buffer.concat([before, Buffer.from(' ')]));
    const notices: string[] = [];
    const result = await executeMetaSleeves(
      'meta_inner',
      { workspace: ws, env },
      { onNotice: (l) => notices.push(l) },
    );
    assert.deepEqual(
      result.results.map((r) => [r.profile, r.run_id, r.status]),
      [
        ['sectors', `${ids.sectors}-002`, 'produced'],
        ['swiss', ids.swiss, 'reused'],
      ],
      'sectors produced anew, swiss reused',
    );
    assert.equal(notices.length, 1, `one warning: ${notices.join(' | ')}`);
    assert.match(
      notices[0] ?? '',
      new RegExp(
        `^sleeve sectors: run ${ids.sectors} has the same key but is not reused, it fails its audit \\(E_AUDIT_`,
      ),
      'the warning names the run and the audit failure',
    );
    assert.notDeepEqual(readFileSync(victim), before, 'the tampered run is left as it is');
    const next = await executeMetaSleeves('meta_inner', { workspace: ws, env }, {});
    assert.deepEqual(next.pins, { ...ids, sectors: `${ids.sectors}-002` }, 'the new run is reused next');
  });

  test('rebuild produces every sleeve under a new run id and overwrites nothing', async () => {
    const snapshot = files(join(ws, 'runs', ids.swiss));
    const result = await executeMetaSleeves('meta_inner', { workspace: ws, env }, { rebuild: true });
    assert.deepEqual(
      result.results.map((r) => [r.profile, r.run_id, r.status]),
      [
        ['sectors', `${ids.sectors}-003`, 'produced'],
        ['swiss', `${ids.swiss}-002`, 'produced'],
      ],
      'both produced under the next free ids',
    );
    assert.deepEqual(files(join(ws, 'runs', ids.swiss)), snapshot, 'the earlier swiss run is untouched');
  });

  test('two concurrent productions of the same sleeves produce each once; the other reuses', async () => {
    const fresh = buildExecWorkspace(tempDir('mf-sleeve-reuse-race-'));
    const [a, b] = await Promise.all([
      executeMetaSleeves('meta_inner', { workspace: fresh, env }, {}),
      executeMetaSleeves('meta_inner', { workspace: fresh, env }, {}),
    ]);
    assert.deepEqual(a.pins, ids, 'the first pins the default ids');
    assert.deepEqual(b.pins, ids, 'the second pins the same runs');
    const statuses = [...a.results, ...b.results].map((r) => `${r.profile}:${r.status}`).sort();
    assert.deepEqual(
      statuses,
      ['sectors:produced', 'sectors:reused', 'swiss:produced', 'swiss:reused'],
      'each sleeve produced once and reused once',
    );
    assert.deepEqual(sleeveRuns(fresh, 'sectors'), [ids.sectors], 'one sectors run');
    assert.equal(existsSync(join(fresh, 'runs', `${ids.sectors}-002`)), false, 'no second sectors run');
  });
});
