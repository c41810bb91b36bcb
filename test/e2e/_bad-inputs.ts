// The bad-input corpus (test/fixtures/bad/cases.json) through the built CLI, each case in a fresh process
// and a fresh workspace: exit 1, one line starting with the case's error code and naming the file and the
// place (line, JSON path, column, or the offending argument), and not one file of the workspace written,
// changed or removed — no run folder, not even an empty runs/ folder. Whatever the input holds, the line
// is printable: no control character, no bidi override (they are escaped as \uXXXX).
//
// Split in two files of the same suite: bad-inputs.test.ts (npm test) runs one representative case of each
// error code and of each kind (the id's first word), 43 cases; bad-inputs.slow.test.ts (npm run test:slow)
// the others.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  cpSync,
  existsSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { REPO, quantAsync, tempDir } from '../helpers/cli.js';
import { buildMetaWorkspace } from '../helpers/meta-workspace.js';
import { QuantSDK } from '../../src/sdk/quant-sdk.js';
import { openLedger } from '../../src/artifacts/index.js';
import { hashRecordBody, type LedgerRecord } from '../../src/artifacts/ledger-verify.js';

const BAD = join(REPO, 'test', 'fixtures', 'bad');

// Ledger attacks on runs/<ledger>/audit.jsonl, each leaving a chain that verifies on its own: a record
// appended, the last records dropped, or a text edit re-chained from the edited record on (and then,
// with `anchor`, run.json's anchor rewritten to match, keeping or dropping its HMAC).
type LedgerAttack =
  | { readonly ledger: string; readonly append: string }
  | { readonly ledger: string; readonly truncate: number }
  | {
      readonly ledger: string;
      readonly rechain: { readonly find: string; readonly with: string };
      readonly anchor?: 'keep_hmac' | 'drop_hmac';
    };

type Setup =
  | { readonly copy: string; readonly to: string }
  | { readonly remove: string }
  | { readonly write: string; readonly text: string }
  | { readonly replace: string; readonly find: string; readonly with: string }
  | { readonly symlink: string; readonly at: string }
  | LedgerAttack;

interface Case {
  readonly id: string;
  /** `signed`: the meta workspace plus `runs/signed`, a real stage run signed with {@link LEDGER_KEY}. */
  readonly workspace: 'empty' | 'meta' | 'signed';
  readonly setup?: readonly Setup[];
  readonly argv: readonly string[];
  /** Extra environment variables of the CLI process (test hooks, limits). */
  readonly env?: Readonly<Record<string, string>>;
  readonly code: string;
  readonly where: readonly string[];
}

const cases = (JSON.parse(readFileSync(join(BAD, 'cases.json'), 'utf8')) as { cases: Case[] }).cases;

/** Every file and folder under `dir` (relative path → SHA-256 of its bytes; folders end in `/`). */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string, prefix: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) {
        out.set(`${prefix}${name}/`, 'folder');
        walk(p, `${prefix}${name}/`);
      } else out.set(`${prefix}${name}`, createHash('sha256').update(readFileSync(p)).digest('hex'));
    }
  };
  walk(dir, '');
  return out;
}

/** The key `runs/signed` of the `signed` workspace was signed with (`{LEDGER_KEY}` in a case's env). */
const LEDGER_KEY = 'corpus-ledger-key-0123456789abcdef0123456789';

const ledgerLines = (file: string): string[] => readFileSync(file, 'utf8').trimEnd().split('\n');

/** Replace `find` in the ledger's text, then give every record from the first edited one on new hashes. */
function rechain(ws: string, runId: string, find: string, replacement: string, anchor?: string): void {
  const file = join(ws, 'runs', runId, 'audit.jsonl');
  const lines = ledgerLines(file);
  assert.ok(
    lines.some((l) => l.includes(find)),
    `setup: ${find} not in ${file}`,
  );
  const records: LedgerRecord[] = [];
  for (const line of lines) {
    const { hash: _old, ...body } = JSON.parse(line.replaceAll(find, replacement)) as LedgerRecord;
    void _old;
    const prev = records.at(-1);
    const chained = { ...body, prev_hash: prev === undefined ? body.prev_hash : prev.hash };
    records.push({ ...chained, hash: hashRecordBody(chained) });
  }
  writeFileSync(file, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
  if (anchor === undefined) return;
  const runJson = join(ws, 'runs', runId, 'run.json');
  const json = JSON.parse(readFileSync(runJson, 'utf8')) as { ledger: Record<string, unknown> };
  json.ledger = {
    head_sha256: records.at(-1)?.hash,
    records: records.length,
    ...(anchor === 'keep_hmac' ? { hmac: json.ledger['hmac'] } : {}),
  };
  writeFileSync(runJson, `${JSON.stringify(json, null, 2)}\n`);
}

async function attackLedger(ws: string, step: LedgerAttack): Promise<void> {
  const file = join(ws, 'runs', step.ledger, 'audit.jsonl');
  if ('append' in step) {
    const ledger = await openLedger(file, { now: new Date(0) });
    await ledger.append({ type: 'decision', step: step.append, status: 'recorded' });
  } else if ('truncate' in step) {
    const lines = ledgerLines(file);
    writeFileSync(
      file,
      lines
        .slice(0, lines.length - step.truncate)
        .map((l) => `${l}\n`)
        .join(''),
    );
  } else rechain(ws, step.ledger, step.rechain.find, step.rechain.with, step.anchor);
}

async function applySetup(ws: string, steps: readonly Setup[]): Promise<void> {
  for (const step of steps) {
    if ('ledger' in step) await attackLedger(ws, step);
    else if ('copy' in step) copyFileSync(join(BAD, step.copy), join(ws, step.to));
    else if ('remove' in step) rmSync(join(ws, step.remove));
    else if ('symlink' in step)
      symlinkSync(relative(dirname(join(ws, step.at)), join(ws, step.symlink)), join(ws, step.at));
    else if ('write' in step) writeFileSync(join(ws, step.write), step.text);
    else {
      const file = join(ws, step.replace);
      const text = readFileSync(file, 'utf8');
      assert.ok(text.includes(step.find), `setup: ${step.find} not in ${step.replace}`);
      writeFileSync(file, text.replace(step.find, step.with));
    }
  }
}

// The characters a terminal must never receive raw (see `printable` in src/errors.ts).
const UNPRINTABLE =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

const subst = (arg: string): string =>
  arg
    .replaceAll('{LEDGER_KEY}', LEDGER_KEY)
    .replaceAll('{BAD}', BAD)
    .replaceAll('{REPO}', REPO.replace(/\/$/, ''));

/**
 * The cases npm test runs: one case of each error code — the first of the code whose kind (the id's first
 * word: csv, manifest, ...) no chosen case has yet, else the code's first — and then the first case of each
 * kind still missing. Every code and every kind is run by the fewest CLI processes.
 */
function representativeCases(all: readonly Case[]): Set<string> {
  const kindOf = (c: Case): string => c.id.split('-')[0] as string;
  const kinds = new Set<string>();
  const chosen = new Set<string>();
  const choose = (c: Case): void => {
    chosen.add(c.id);
    kinds.add(kindOf(c));
  };
  for (const code of new Set(all.map((c) => c.code))) {
    const withCode = all.filter((c) => c.code === code);
    choose(withCode.find((c) => !kinds.has(kindOf(c))) ?? (withCode[0] as Case));
  }
  for (const c of all) if (!kinds.has(kindOf(c))) choose(c);
  return chosen;
}

/** Registers the corpus suite: the representative cases (`quick`) or all the others (`slow`). */
export function defineBadInputSuite(tier: 'quick' | 'slow'): void {
  const representative = representativeCases(cases);
  const mine = cases.filter((c) => representative.has(c.id) === (tier === 'quick'));
  describe(
    `bad-input corpus (${tier === 'quick' ? 'one case of each kind and code' : 'the other cases'})`,
    { concurrency: 4 },
    () => {
      let template: { path: string; cleanup(): void };
      let signed: { path: string; cleanup(): void };
      before(async () => {
        template = tempDir('quant-bad-');
        await buildMetaWorkspace(template.path);
        signed = tempDir('quant-bad-');
        cpSync(template.path, signed.path, { recursive: true });
        await QuantSDK.runStage(
          'portfolio.optimize',
          { input: join(REPO, 'data', 'swx_prices.csv'), method: 'inverse_variance' },
          {
            workspace: signed.path,
            runId: 'signed',
            env: { SOURCE_DATE_EPOCH: '1767225600', QUANT_LEDGER_KEY: LEDGER_KEY },
          },
        );
      });
      after(() => {
        template.cleanup();
        signed.cleanup();
      });

      if (tier === 'quick')
        test('the corpus: at least 40 cases, unique ids, every fixture present', () => {
          assert.ok(cases.length >= 40, `${cases.length} cases`);
          assert.equal(
            new Set(cases.map((c) => c.id)).size,
            cases.length,
            'new Set(cases.map((c) => c.id)).size',
          );
          for (const c of cases) {
            for (const step of c.setup ?? [])
              if ('copy' in step) assert.ok(existsSync(join(BAD, step.copy)), step.copy);
            assert.ok(c.where.length > 0, `${c.id}: where`);
          }
        });

      for (const c of mine) {
        test(`${c.id}: ${c.code}`, async () => {
          const ws = tempDir('quant-bad-');
          try {
            if (c.workspace !== 'empty')
              cpSync((c.workspace === 'meta' ? template : signed).path, ws.path, { recursive: true });
            await applySetup(ws.path, c.setup ?? []);
            const before = snapshot(ws.path);
            const r = await quantAsync([...c.argv.map(subst), '--workspace', ws.path], {
              cwd: ws.path,
              ...(c.env === undefined
                ? {}
                : { env: Object.fromEntries(Object.entries(c.env).map(([k, v]) => [k, subst(v)])) }),
            });
            const line = r.stderr.trimEnd();
            assert.equal(r.code, 1, `exit ${r.code}: ${r.stderr}${r.stdout}`);
            assert.equal(line.split('\n').length, 1, `one line expected:\n${r.stderr}`);
            assert.ok(line.startsWith(`${c.code}: `), `expected ${c.code}, got: ${line}`);
            for (const w of c.where) assert.ok(line.includes(subst(w)), `"${w}" not in: ${line}`);
            assert.doesNotMatch(
              line,
              UNPRINTABLE,
              'a control character or bidi override reached the terminal',
            );
            assert.deepEqual(snapshot(ws.path), before, 'the workspace changed');
            const runId = c.argv[c.argv.indexOf('--run-id') + 1];
            if (runId !== undefined && !before.has(`runs/${runId}/run.json`) && /^[A-Za-z0-9]/.test(runId))
              assert.equal(existsSync(join(ws.path, 'runs', runId)), false, `runs/${runId} was created`);
          } finally {
            ws.cleanup();
          }
        });
      }
    },
  );
}
