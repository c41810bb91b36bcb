// The cache-tampering corpus (test/fixtures/bad/cache/tampering.json) through the built CLI: each case
// edits the one genuine cache entry of a small meta workspace — a stored file changed, truncated, missing
// or extra, a symlink out of the workspace, a malformed or inconsistent entry.json, names that leave the
// run folder — then runs `quant meta run`. Each must be a miss, never a hit: exit 0, every stage computed
// (the same artifacts as a run without cache), one warning line, one `cache.lookup` decision in the run's
// ledger naming the file and the reason, nothing outside the workspace touched, and a valid entry in
// place of the tampered one afterwards.
//
// npm test runs one case of each place an entry is checked (cache-tampering.test.ts, see REPRESENTATIVE),
// npm run test:slow the others (cache-tampering.slow.test.ts).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  cpSync,
  existsSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { REPO, quantAsync, tempDir } from '../helpers/cli.js';
import { readTree } from '../helpers/files.js';
import { SMALL_META_PROFILE, buildSmallMetaWorkspace } from '../helpers/small-meta-workspace.js';
import { lookupCacheEntry } from '../../src/artifacts/index.js';
import { checkMetaCacheEntry } from '../../src/sdk/_meta-cache-entry.js';

type JsonPath = readonly (string | number)[];
type Tamper =
  | { readonly write: string; readonly text: string }
  | { readonly remove: string }
  | { readonly truncate: string; readonly bytes: number }
  | { readonly symlinkOutside: string }
  | { readonly json: JsonPath; readonly value: unknown }
  | { readonly paths: readonly JsonPath[]; readonly value: unknown }
  | { readonly 'remove-json': JsonPath }
  | { readonly replace: string; readonly with: string; readonly latin1?: boolean };

interface Case {
  readonly id: string;
  readonly tamper: readonly Tamper[];
  readonly reason: readonly string[];
  readonly file?: string;
}

const CORPUS = join(REPO, 'test', 'fixtures', 'bad', 'cache', 'tampering.json');
const cases = (JSON.parse(readFileSync(CORPUS, 'utf8')) as { cases: Case[] }).cases;
const EPOCH = { SOURCE_DATE_EPOCH: '1767225600' };
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNPRINTABLE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

interface Rec {
  type: string;
  step: string;
  status: string;
  context: Record<string, unknown>;
  data: Record<string, unknown>;
}

const ledger = (runDir: string): Rec[] =>
  readFileSync(join(runDir, 'audit.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const r = JSON.parse(l) as Rec;
      return { type: r.type, step: r.step, status: r.status, context: r.context, data: r.data };
    });

function entryOf(ws: string): string {
  const names = readdirSync(join(ws, '.cache', 'meta')).filter((n) => !n.startsWith('.'));
  assert.equal(names.length, 1, `one cache entry expected, found ${names.join(', ')}`);
  return names[0] as string;
}

function setAt(root: unknown, path: JsonPath, value: unknown, remove = false): void {
  let node = root as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path[path.length - 1] as string | number;
  // A new key may be added to an object; an array index must exist.
  const exists = node !== undefined && (!Array.isArray(node) || (last as number) < node.length);
  assert.ok(exists, `tamper: ${path.join('.')} not in entry.json`);
  if (remove && Array.isArray(node)) node.splice(last as number, 1);
  else node[last] = value;
}

function applyTamper(entry: string, outside: string, steps: readonly Tamper[]): void {
  const entryJson = join(entry, 'entry.json');
  for (const step of steps) {
    if ('write' in step) writeFileSync(join(entry, step.write), step.text);
    else if ('remove' in step) rmSync(join(entry, step.remove), { recursive: true });
    else if ('truncate' in step) truncateSync(join(entry, step.truncate), step.bytes);
    else if ('symlinkOutside' in step) {
      const at = join(entry, step.symlinkOutside);
      const moved = join(outside, basename(at));
      renameSync(at, moved);
      symlinkSync(moved, at);
    } else if ('replace' in step) {
      const text = readFileSync(entryJson, 'utf8');
      const i = text.indexOf(step.replace);
      assert.ok(i >= 0, `tamper: ${step.replace} not in entry.json`);
      const inserted = Buffer.from(step.with, step.latin1 === true ? 'latin1' : 'utf8');
      const rest = Buffer.from(text.slice(i + step.replace.length), 'utf8');
      writeFileSync(entryJson, Buffer.concat([Buffer.from(text.slice(0, i), 'utf8'), inserted, rest]));
    } else {
      const meta = JSON.parse(readFileSync(entryJson, 'utf8')) as unknown;
      if ('remove-json' in step) setAt(meta, step['remove-json'], undefined, true);
      else for (const p of 'paths' in step ? step.paths : [step.json]) setAt(meta, p, step.value);
      writeFileSync(entryJson, `${JSON.stringify(meta)}\n`);
    }
  }
}

/**
 * The cases npm test runs, one for each place an entry is checked: a stored file's bytes, a symlink out of
 * the workspace, entry.json itself, and the ledger it records. Every way of damaging each (truncated,
 * missing, extra, torn, ...) runs in npm run test:slow; the checks themselves are unit-tested
 * (test/unit/artifacts/cache-store.test.ts), a tampered entry through the SDK in cache-optional.test.ts.
 */
const REPRESENTATIVE = new Set([
  'file-edited',
  'file-symlink-outside',
  'entry-json-wrong-type',
  'ledger-output-dotdot',
]);

/** `first`: the representative cases; `rest`: every other case. */
export function defineCacheTamperingSuite(part: 'first' | 'rest'): void {
  const selected = cases.filter((c) => REPRESENTATIVE.has(c.id) === (part === 'first'));
  describe(
    `cache tampering corpus (${part === 'first' ? 'one case of each check' : 'the other cases'})`,
    { concurrency: 2 },
    () => {
      let template: { path: string; cleanup(): void };
      let reference: Map<string, Buffer>;
      let referenceLedger: Rec[];
      const run = (ws: string, id: string, ...extra: string[]): ReturnType<typeof quantAsync> =>
        quantAsync(
          ['meta', 'run', '--profile', SMALL_META_PROFILE, '--run-id', id, '--workspace', ws, ...extra],
          { env: EPOCH },
        );

      before(async () => {
        template = tempDir('quant-tamper-');
        await buildSmallMetaWorkspace(template.path);
        const seed = await run(template.path, 'seed');
        assert.equal(seed.code, 0, seed.stderr);
        entryOf(template.path);
        const ref = tempDir('quant-tamper-ref-');
        try {
          cpSync(template.path, ref.path, { recursive: true });
          const r = await run(ref.path, 't', '--no-cache');
          assert.equal(r.code, 0, r.stderr);
          reference = readTree(join(ref.path, 'runs', 't'));
          referenceLedger = ledger(join(ref.path, 'runs', 't'));
        } finally {
          ref.cleanup();
        }
      });
      after(() => template.cleanup());

      if (part === 'first')
        test('the corpus: unique ids, every case names a reason', () => {
          assert.ok(cases.length >= 20, `${cases.length} cases`);
          assert.equal(new Set(cases.map((c) => c.id)).size, cases.length, 'case ids are unique');
          for (const c of cases)
            assert.ok(c.reason.length > 0 && c.tamper.length > 0, `${c.id}: reason, tamper`);
          for (const id of REPRESENTATIVE)
            assert.ok(
              cases.some((c) => c.id === id),
              `${id}, run by npm test, is a case of the corpus`,
            );
        });

      for (const c of selected) {
        test(`${c.id}: a recorded miss, never a hit`, async () => {
          const ws = tempDir('quant-tamper-case-');
          const outside = tempDir('quant-tamper-outside-');
          try {
            cpSync(template.path, ws.path, { recursive: true });
            const key = entryOf(ws.path);
            const entry = join(ws.path, '.cache', 'meta', key);
            applyTamper(entry, outside.path, c.tamper);
            const outsideBefore = readTree(outside.path);

            const r = await run(ws.path, 't');
            assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`);
            assert.doesNotMatch(r.stdout, /cache hit/, 'a tampered entry was used');
            const lines = r.stderr.trimEnd().split('\n');
            assert.equal(lines.length, 1, `one warning line expected:\n${r.stderr}`);
            const line = lines[0] as string;
            assert.ok(line.startsWith(`warning: cache entry .cache/meta/${key} not used: `), line);
            for (const s of c.reason) assert.ok(line.includes(s), `"${s}" not in: ${line}`);
            assert.doesNotMatch(line, UNPRINTABLE, 'a control character reached the terminal');

            // Computed normally: the artifacts of a run without cache, byte for byte.
            const runDir = join(ws.path, 'runs', 't');
            const tree = readTree(runDir);
            assert.deepEqual([...tree.keys()].sort(), [...reference.keys()].sort(), 'the same files');
            for (const [name, bytes] of tree) {
              if (name === 'audit.jsonl') continue;
              if (name === 'run.json') {
                // The ledger holds one more record (the rejection), so its anchor differs; the rest is identical.
                const strip = (b: Buffer): unknown => ({
                  ...(JSON.parse(b.toString('utf8')) as object),
                  ledger: null,
                });
                assert.deepEqual(
                  strip(bytes),
                  strip(reference.get(name) as Buffer),
                  'run.json (but its ledger anchor)',
                );
                continue;
              }
              assert.ok(
                bytes.equals(reference.get(name) as Buffer),
                `${name} differs from a run without cache`,
              );
            }
            // The ledger: the run's records plus exactly one decision saying which file and why.
            const records = ledger(runDir);
            const anchor = (
              JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as { ledger?: { records?: number } }
            ).ledger;
            assert.equal(
              anchor?.records,
              records.length,
              'run.json anchors the ledger with the rejection in it',
            );
            const decisions = records.filter((x) => x.step.startsWith('cache.'));
            assert.equal(decisions.length, 1, `one cache decision: ${JSON.stringify(decisions)}`);
            const d = decisions[0] as Rec;
            assert.equal(d.type, 'decision', 'recorded as a decision');
            assert.equal(d.step, 'cache.lookup', 'a lookup decision');
            assert.equal(d.status, 'rejected', 'the entry was rejected');
            assert.deepEqual(d.context, { cache: `.cache/meta/${key}` }, 'the decision names the entry');
            for (const s of c.reason) assert.ok(String(d.data['reason']).includes(s), `"${s}" not recorded`);
            if (c.file !== undefined)
              assert.equal(d.data['file'], `.cache/meta/${key}/${c.file}`, 'the decision names the file');
            assert.deepEqual(
              records.filter((x) => x !== d),
              referenceLedger,
              'otherwise the ledger of a run without cache',
            );
            const verify = await quantAsync(['audit', 'verify', 't', '--workspace', ws.path]);
            assert.equal(verify.code, 0, verify.stdout + verify.stderr);

            assert.deepEqual(readTree(outside.path), outsideBefore, 'a file outside the workspace changed');
            // The tampered entry was replaced by the run's own, which proves itself.
            assert.equal(entryOf(ws.path), key, 'the same key');
            const after = await lookupCacheEntry(ws.path, 'meta', key, checkMetaCacheEntry);
            assert.equal(after.kind, 'found', `the entry left behind: ${JSON.stringify(after)}`);
            const temps = readdirSync(join(ws.path, '.cache', 'meta')).filter((n) => n.startsWith('.'));
            assert.deepEqual(temps, [], 'no temp folder left in .cache/meta');
            assert.ok(existsSync(join(entry, 'entry.json')), 'the entry is complete');
          } finally {
            ws.cleanup();
            outside.cleanup();
          }
        });
      }
    },
  );
}
