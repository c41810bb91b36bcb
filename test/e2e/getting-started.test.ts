// docs/getting-started.md, run as a user would copy it: every block marked `<!-- file: NAME -->` is
// written into an empty folder, then every ```sh block's commands run there in page order, with `quant`
// on the PATH as a shim for the built CLI (dist/cli/main.js). Each command must succeed, and the report
// `quant report path` prints must exist. A ```text block right after a ```sh block is that block's sample
// output: the commands' stdout must match it line for line (`...` stands for any text, the time stamp of a
// run id for any time stamp); other ```text blocks are not checked. Then the README's SDK
// example (the js block after `<!-- sdk -->`) runs in the same folder, with `metafolio` resolving to this
// repository.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { delimiter, isAbsolute, join, relative } from 'node:path';
import { after, describe, test } from 'node:test';
import { CLI, REPO, tempDir } from '../helpers/cli.js';

const PAGE = join(REPO, 'docs', 'getting-started.md');

type Step =
  | { readonly kind: 'file'; readonly name: string; readonly body: string; readonly line: number }
  | { readonly kind: 'command'; readonly command: string; readonly line: number }
  | { readonly kind: 'output'; readonly lines: readonly string[]; readonly line: number };

/**
 * The page's steps in order: a fenced block right after `<!-- file: NAME -->` (blank lines between
 * allowed) is a file; each command of a ```sh block (a line, `\` continuations joined, `#` comments
 * skipped) is a command; a ```text block right after a ```sh block (only blank lines between) is the
 * sample output of that block's commands. Other fenced blocks are skipped.
 */
function guideSteps(text: string): Step[] {
  const lines = text.split('\n');
  const steps: Step[] = [];
  let pendingFile: string | undefined;
  let afterCommands = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const marker = /^<!--\s*file:\s*(\S+)\s*-->\s*$/.exec(line);
    if (marker !== null) {
      pendingFile = marker[1];
      continue;
    }
    const fence = /^```(\w*)\s*$/.exec(line);
    if (fence === null) {
      if (line.trim() !== '') {
        pendingFile = undefined;
        afterCommands = false;
      }
      continue;
    }
    const start = i + 1;
    const body: string[] = [];
    for (i = start; i < lines.length && !/^```\s*$/.test(lines[i] ?? ''); i++) body.push(lines[i] ?? '');
    if (pendingFile !== undefined) {
      steps.push({ kind: 'file', name: pendingFile, body: `${body.join('\n')}\n`, line: start + 1 });
    } else if (fence[1] === 'sh') {
      steps.push(...commandsOf(body, start + 1));
    } else if (fence[1] === 'text' && afterCommands) {
      steps.push({ kind: 'output', lines: body, line: start + 1 });
    }
    afterCommands = pendingFile === undefined && fence[1] === 'sh';
    pendingFile = undefined;
  }
  return steps;
}

function commandsOf(body: readonly string[], firstLine: number): Step[] {
  const out: Step[] = [];
  let current = '';
  let from = firstLine;
  body.forEach((raw, j) => {
    const text = raw.trim();
    if (current === '' && (text === '' || text.startsWith('#'))) return;
    if (current === '') from = firstLine + j;
    if (text.endsWith('\\')) {
      current += `${text.slice(0, -1).trimEnd()} `;
      return;
    }
    out.push({ kind: 'command', command: current + text, line: from });
    current = '';
  });
  assert.equal(current, '', `a command ending in \\ at line ${from} has no continuation`);
  return out;
}

/** A sample output line as a pattern: `...` is any text, a run id's time stamp any time stamp. */
function sampleLine(line: string): RegExp {
  const parts = line
    .split('...')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\d{8}-\d{6}/g, '\\d{8}-\\d{6}'));
  return new RegExp(`^${parts.join('.*')}$`);
}

/** The lines of `actual` that do not match the sample (by position), or of the sample left over. */
function sampleMismatches(sample: readonly string[], actual: readonly string[]): string[] {
  const out: string[] = [];
  for (let j = 0; j < Math.max(sample.length, actual.length); j++) {
    const want = sample[j];
    const got = actual[j];
    if (want === undefined || got === undefined || !sampleLine(want).test(got))
      out.push(
        `line ${j + 1}: the page shows ${JSON.stringify(want)}, the command printed ${JSON.stringify(got)}`,
      );
  }
  return out;
}

/** A folder holding a `quant` executable that runs the built CLI with this Node. */
function quantShim(dir: string): string {
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const quote = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;
  writeFileSync(join(bin, 'quant'), `#!/bin/sh\nexec ${quote(process.execPath)} ${quote(CLI)} "$@"\n`);
  chmodSync(join(bin, 'quant'), 0o755);
  return bin;
}

describe('docs/getting-started.md', () => {
  test('the step extractor reads files, commands and continuations, and skips sample output', () => {
    const page = [
      '<!-- file: a.csv -->',
      '',
      '```csv',
      'date,X',
      '```',
      '```sh',
      '# a comment',
      'quant one \\',
      '  --two',
      'quant three',
      '```',
      '```text',
      'quant not-run',
      '```',
      'prose: the next text block is not sample output',
      '```text',
      'free text',
      '```',
      '<!-- file: b.json -->',
      'prose in between cancels the marker',
      '```json',
      '{}',
      '```',
    ].join('\n');
    assert.deepEqual(
      guideSteps(page),
      [
        { kind: 'file', name: 'a.csv', body: 'date,X\n', line: 4 },
        { kind: 'command', command: 'quant one --two', line: 8 },
        { kind: 'command', command: 'quant three', line: 10 },
        { kind: 'output', lines: ['quant not-run'], line: 13 },
      ],
      'one file, two commands (the first joined), their sample output, no other text or unmarked block',
    );
  });

  test('sample output: `...` is any text, a time stamp any time stamp, every line in its place', () => {
    const sample = ['run core_20260105-093000 ok: 3 assets', 'meta.optimize: ...', 'done'];
    assert.deepEqual(
      sampleMismatches(sample, ['run core_20261207-151200 ok: 3 assets', 'meta.optimize: hrp 90%', 'done']),
      [],
      'the same lines match',
    );
    assert.equal(
      sampleMismatches(sample, ['run core_20261207-151200 ok: 3 assets', 'meta.optimize: hrp 90%']).length,
      1,
      'a missing line is a mismatch',
    );
    assert.equal(
      sampleMismatches(sample, ['run core_20261207-151200 ok: 4 assets', 'meta.optimize: x', 'done', 'more'])
        .length,
      2,
      'a different figure and an extra line are mismatches',
    );
    assert.equal(sampleMismatches(['a.b'], ['axb']).length, 1, 'a dot in the sample is a dot');
  });

  const tmp = tempDir('quant-guide-');
  after(() => tmp.cleanup());

  const work = join(tmp.path, 'work');

  test('every command of the page succeeds in an empty folder and the report exists', () => {
    assert.ok(existsSync(CLI), `the built CLI ${CLI} exists (npm run build)`);
    const steps = guideSteps(readFileSync(PAGE, 'utf8'));
    const commands = steps.flatMap((s) => (s.kind === 'command' ? [s.command] : []));
    const files = steps.flatMap((s) => (s.kind === 'file' ? [s.name] : []));
    assert.ok(
      files.includes('manifest.json'),
      `the page writes a manifest.json (files: ${files.join(', ')})`,
    );
    for (const verb of ['quant sleeve run', 'quant meta run', 'quant report path']) {
      assert.ok(
        commands.some((c) => c.startsWith(verb)),
        `the page runs ${verb} (commands: ${commands.join(' | ')})`,
      );
    }

    mkdirSync(work);
    const env: Record<string, string | undefined> = {
      ...process.env,
      CI: '1',
      PATH: `${quantShim(tmp.path)}${delimiter}${process.env.PATH ?? ''}`,
    };
    delete env.QUANT_WORKSPACE;
    delete env.SOURCE_DATE_EPOCH;
    const reports: string[] = [];
    let printed: string[] = [];
    let samples = 0;
    for (const step of steps) {
      const where = `docs/getting-started.md:${step.line}`;
      if (step.kind === 'output') {
        const mismatches = sampleMismatches(step.lines, printed);
        assert.deepEqual(mismatches, [], `${where}: the sample output differs:\n${mismatches.join('\n')}`);
        samples += 1;
        printed = [];
        continue;
      }
      if (step.kind === 'file') {
        assert.match(step.name, /^[\w.-]+$/, `${where}: a file name without folders`);
        writeFileSync(join(work, step.name), step.body);
        continue;
      }
      const r = spawnSync('sh', ['-c', step.command], { cwd: work, env, encoding: 'utf8' });
      assert.equal(
        r.status,
        0,
        `${where}: \`${step.command}\` exited ${String(r.status)}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`,
      );
      assert.doesNotMatch(r.stderr, /warning|error/i, `${where}: \`${step.command}\` printed:\n${r.stderr}`);
      if (step.command.startsWith('quant report path')) reports.push(r.stdout.trim());
      if (r.stdout !== '') printed.push(...r.stdout.replace(/\n$/, '').split('\n'));
    }
    assert.ok(samples >= 2, `the page's sample outputs were compared (${samples})`);

    assert.ok(reports.length > 0, 'quant report path ran');
    for (const report of reports) {
      assert.ok(isAbsolute(report), `quant report path printed an absolute path: ${report}`);
      assert.ok(!relative(work, report).startsWith('..'), `the report ${report} is in the workspace ${work}`);
      assert.ok(
        existsSync(report) && statSync(report).size > 0,
        `the report ${report} exists and is not empty`,
      );
      const text = readFileSync(report, 'utf8');
      for (const sleeve of ['core', 'sectors'])
        assert.ok(text.includes(sleeve), `the report ${report} names the sleeve ${sleeve}`);
    }
  });

  test("the README's SDK example runs in the page's folder", () => {
    assert.ok(existsSync(join(work, 'manifest.json')), 'the page ran first (its manifest.json exists)');
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    const m = /<!-- sdk -->\s*```js\n([\s\S]*?)```/.exec(readme);
    assert.ok(m?.[1] !== undefined, 'README.md has a ```js block after <!-- sdk -->');
    mkdirSync(join(work, 'node_modules'));
    symlinkSync(REPO, join(work, 'node_modules', 'metafolio'), 'dir');
    writeFileSync(join(work, 'sdk.mjs'), m[1]);
    const r = spawnSync(process.execPath, ['sdk.mjs'], {
      cwd: work,
      encoding: 'utf8',
      env: { ...process.env, CI: '1' },
    });
    assert.equal(
      r.status,
      0,
      `node sdk.mjs exited ${String(r.status)}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`,
    );
    assert.match(r.stdout, /BONDS/, `the weights are printed:\n${r.stdout}`);
    const html = r.stdout.trim().split('\n').at(-1) ?? '';
    assert.ok(existsSync(html) && html.endsWith('.html'), `the last line is the HTML report path: ${html}`);
  });
});
