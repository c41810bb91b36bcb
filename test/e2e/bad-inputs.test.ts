// The bad-input corpus (test/fixtures/bad/cases.json) through the built CLI, each case in a fresh process
// and a fresh workspace: exit 1, one line starting with the case's error code and naming the file and the
// place (line, JSON path, column, or the offending argument), and not one file of the workspace written,
// changed or removed — no run folder, not even an empty runs/ folder. Whatever the input holds, the line
// is printable: no control character, no bidi override (they are escaped as \uXXXX).
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

const BAD = join(REPO, 'test', 'fixtures', 'bad');

type Setup =
  | { readonly copy: string; readonly to: string }
  | { readonly remove: string }
  | { readonly write: string; readonly text: string }
  | { readonly replace: string; readonly find: string; readonly with: string }
  | { readonly symlink: string; readonly at: string };

interface Case {
  readonly id: string;
  readonly workspace: 'empty' | 'meta';
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

function applySetup(ws: string, steps: readonly Setup[]): void {
  for (const step of steps) {
    if ('copy' in step) copyFileSync(join(BAD, step.copy), join(ws, step.to));
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
  arg.replaceAll('{BAD}', BAD).replaceAll('{REPO}', REPO.replace(/\/$/, ''));

describe('bad-input corpus', { concurrency: 4 }, () => {
  let template: { path: string; cleanup(): void };
  before(async () => {
    template = tempDir('quant-bad-');
    await buildMetaWorkspace(template.path);
  });
  after(() => template.cleanup());

  test('the corpus: at least 40 cases, unique ids, every fixture present', () => {
    assert.ok(cases.length >= 40, `${cases.length} cases`);
    assert.equal(new Set(cases.map((c) => c.id)).size, cases.length, 'new Set(cases.map((c) => c.id)).size');
    for (const c of cases) {
      for (const step of c.setup ?? [])
        if ('copy' in step) assert.ok(existsSync(join(BAD, step.copy)), step.copy);
      assert.ok(c.where.length > 0, `${c.id}: where`);
    }
  });

  for (const c of cases) {
    test(`${c.id}: ${c.code}`, async () => {
      const ws = tempDir('quant-bad-');
      try {
        if (c.workspace === 'meta') cpSync(template.path, ws.path, { recursive: true });
        applySetup(ws.path, c.setup ?? []);
        const before = snapshot(ws.path);
        const r = await quantAsync([...c.argv.map(subst), '--workspace', ws.path], {
          cwd: ws.path,
          ...(c.env === undefined ? {} : { env: { ...c.env } }),
        });
        const line = r.stderr.trimEnd();
        assert.equal(r.code, 1, `exit ${r.code}: ${r.stderr}${r.stdout}`);
        assert.equal(line.split('\n').length, 1, `one line expected:\n${r.stderr}`);
        assert.ok(line.startsWith(`${c.code}: `), `expected ${c.code}, got: ${line}`);
        for (const w of c.where) assert.ok(line.includes(subst(w)), `"${w}" not in: ${line}`);
        assert.doesNotMatch(line, UNPRINTABLE, 'a control character or bidi override reached the terminal');
        assert.deepEqual(snapshot(ws.path), before, 'the workspace changed');
        const runId = c.argv[c.argv.indexOf('--run-id') + 1];
        if (runId !== undefined && !before.has(`runs/${runId}/run.json`) && /^[A-Za-z0-9]/.test(runId))
          assert.equal(existsSync(join(ws.path, 'runs', runId)), false, `runs/${runId} was created`);
      } finally {
        ws.cleanup();
      }
    });
  }
});
