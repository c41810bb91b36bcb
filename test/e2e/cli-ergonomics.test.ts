// The command line as a newcomer meets it: usage errors name the sub-command and its --help, required
// options say so in --help, `--json` turns errors into one JSON line, and `quant report open` opens the
// report with the platform opener found on PATH (a real program: a script in a PATH folder) or says that
// there is none.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { quant, tempDir } from '../helpers/cli.js';
import { SMALL_META_PROFILE, buildSmallMetaWorkspace } from '../helpers/small-meta-workspace.js';
import { businessDays, randomReturns, writeManifest, writeSleeveRun } from '../helpers/sleeve-fixtures.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

interface JsonError {
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly hint?: string;
    readonly location?: { readonly file?: string };
  };
}

/** The last stderr line parsed as the `--json` error document. */
function jsonError(stderr: string): JsonError {
  const lines = stderr.trim().split('\n');
  const last = lines[lines.length - 1] ?? '';
  try {
    return JSON.parse(last) as JsonError;
  } catch {
    assert.fail(`the last stderr line is not JSON: ${stderr}`);
  }
}

describe('usage errors and help', () => {
  test('a missing required option names the sub-command and its --help, on one line, E_USAGE, exit 1', () => {
    const r = quant(['meta', 'run']);
    assert.equal(r.code, 1, `exit code (stderr: ${r.stderr})`);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    assert.match(
      r.stderr,
      /^E_USAGE: quant meta run: required option '--profile <meta_profile>' not specified — see `quant meta run --help`$/m,
      'the line names the command and points to its help',
    );
  });

  test('an unknown sub-command points to the help of the command above it', () => {
    const r = quant(['meta', 'rn']);
    assert.equal(r.code, 1, `exit code (stderr: ${r.stderr})`);
    assert.match(r.stderr, /^E_USAGE: quant meta: unknown command 'rn'.*see `quant meta --help`/, r.stderr);
  });

  test('a command without its sub-command shows its help on stderr and is E_USAGE, exit 1', () => {
    for (const [args, subs] of [
      [[], /stage, meta, .*sleeve, runs/],
      [['sleeve'], /run/],
      [['meta'], /run, validate/],
      [['runs'], /list, show/],
    ] as const) {
      const path = ['quant', ...args].join(' ');
      const r = quant([...args]);
      assert.equal(r.code, 1, `${path}: exit 1 (stderr: ${r.stderr})`);
      assert.equal(r.stdout, '', `${path}: nothing on stdout`);
      assert.match(
        r.stderr,
        new RegExp(`^Usage: ${path} \\[options\\] \\[command\\]$`, 'm'),
        `${path}: its help`,
      );
      const last = r.stderr.trim().split('\n').at(-1) ?? '';
      assert.match(
        last,
        new RegExp(`^E_USAGE: ${path}: a sub-command is required \\(`),
        `${path}: last line`,
      );
      assert.match(last, subs, `${path}: the line names the sub-commands`);
      assert.ok(last.endsWith(`see \`${path} --help\``), `${path}: the line points to the help: ${last}`);
    }
    const json = quant(['runs', '--json']);
    assert.equal(json.code, 1, `with --json: exit 1 (${json.stderr})`);
    assert.equal(json.stderr.trim().split('\n').length, 1, `with --json: one JSON line: ${json.stderr}`);
    assert.equal(jsonError(json.stderr).error.code, 'E_USAGE', 'with --json: E_USAGE');
    for (const args of [['--help'], ['sleeve', '--help'], ['help'], ['help', 'meta']]) {
      const r = quant(args);
      assert.equal(r.code, 0, `quant ${args.join(' ')}: exit 0 (${r.stderr})`);
      assert.match(r.stdout, /^Usage: quant/m, `quant ${args.join(' ')}: the help on stdout`);
      assert.equal(r.stderr, '', `quant ${args.join(' ')}: nothing on stderr`);
    }
  });

  test('--help marks the required options', () => {
    const run = quant(['meta', 'run', '--help']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stdout,
      /--profile <meta_profile>\s+the meta profile of the manifest \(required\)/,
      run.stdout,
    );
    assert.doesNotMatch(
      run.stdout,
      /--profiles <list>[^\n]*\(required\)/,
      'an optional option is not marked',
    );
    const validate = quant(['meta', 'validate', '--help']);
    assert.match(validate.stdout, /--run-id <id>\s+the meta run \(required\)/, validate.stdout);
  });
});

describe('comma lists', () => {
  test('an empty item in --profiles is E_USAGE naming its position, and nothing runs', () => {
    const ws = tempDir();
    try {
      for (const [list, where, fix] of [
        ['hrp,,x', 'position 2 of 3', '--profiles hrp,x'],
        ['hrp,', 'position 2 of 2', '--profiles hrp'],
      ] as const) {
        const r = quant(['meta', 'run', '--profile', 'p', '--profiles', list, '--workspace', ws.path]);
        assert.equal(r.code, 1, `${list}: exit code (stderr: ${r.stderr})`);
        assert.equal(
          r.stderr.trim(),
          `E_USAGE: --profiles ${JSON.stringify(list)} has an empty item at ${where} — remove the extra comma: ${fix}`,
          `${list}: one line naming the option, the position and the fix`,
        );
        assert.equal(existsSync(join(ws.path, 'runs')), false, `${list}: no run folder`);
      }
    } finally {
      ws.cleanup();
    }
  });
});

describe('--json errors', () => {
  test('a usage error is one JSON line on stderr, stdout stays empty', () => {
    const r = quant(['meta', 'run', '--json']);
    assert.equal(r.code, 1, `exit code (stderr: ${r.stderr})`);
    assert.equal(r.stdout, '', 'nothing on stdout');
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    const e = jsonError(r.stderr).error;
    assert.equal(e.code, 'E_USAGE', 'code');
    assert.match(e.message, /^quant meta run: required option/, 'message names the command');
    assert.equal(e.hint, 'see `quant meta run --help`', 'hint');
  });

  test('--json before the sub-command is the same option', () => {
    const ws = tempDir();
    try {
      const r = quant(['--json', 'meta', 'validate', '--run-id', 'nope', '--workspace', ws.path]);
      assert.equal(r.code, 1, `exit code (stderr: ${r.stderr})`);
      const e = jsonError(r.stderr).error;
      assert.equal(e.code, 'E_RUN_NOT_FOUND', `code: ${r.stderr}`);
      assert.ok(typeof e.message === 'string' && e.message.includes('nope'), 'message names the run');
      const list = quant(['--json', 'runs', 'list', '--workspace', ws.path]);
      assert.equal(list.code, 0, list.stderr);
      assert.deepEqual(JSON.parse(list.stdout), [], 'runs list --json output, with --json given first');
    } finally {
      ws.cleanup();
    }
  });

  test('runs list: a workspace that is not a folder is an error; a profile without runs names the others', async () => {
    const missing = quant(['runs', 'list', '--workspace', '/nonexistent/workspace']);
    assert.equal(missing.code, 1, `exit 1: ${missing.stdout}`);
    assert.match(
      missing.stderr,
      /^E_INPUT_NOT_FOUND: workspace \/nonexistent\/workspace is not an existing folder/,
      'coded, naming the folder',
    );
    const ws = tempDir();
    try {
      await buildSmallMetaWorkspace(ws.path);
      const none = quant(['runs', 'list', '--profile', 'nope', '--workspace', ws.path]);
      assert.equal(none.code, 0, none.stderr);
      assert.match(
        none.stdout,
        /^no runs of profile nope in .* \(profiles with runs: s1, s2\)$/m,
        'says which profiles have runs',
      );
    } finally {
      ws.cleanup();
    }
  });

  test('an error with a location carries it as data', () => {
    const ws = tempDir();
    try {
      writeFileSync(join(ws.path, 'manifest.json'), '{"profiles": {"m": {"sleeves": 3}}}\n');
      const r = quant(['meta', 'run', '--profile', 'm', '--json', '--workspace', ws.path]);
      assert.equal(r.code, 1, `exit code (stderr: ${r.stderr})`);
      const e = jsonError(r.stderr).error;
      assert.equal(e.code, 'E_MANIFEST', `code: ${r.stderr}`);
      assert.ok(e.location?.file?.endsWith('manifest.json') === true, `location.file: ${r.stderr}`);
      assert.ok(typeof e.hint === 'string' && e.hint !== '', 'a hint');
    } finally {
      ws.cleanup();
    }
  });
});

describe('quant report open', () => {
  const ws = tempDir();
  const bin = join(ws.path, 'bin');
  const empty = join(ws.path, 'empty');
  before(async () => {
    await buildSmallMetaWorkspace(ws.path);
    const r = quant([
      'meta',
      'run',
      '--profile',
      SMALL_META_PROFILE,
      '--run-id',
      'r1',
      '--workspace',
      ws.path,
    ]);
    assert.equal(r.code, 0, r.stderr);
    mkdirSync(bin);
    mkdirSync(empty);
    // The opener this platform's quant looks for, as a real program on PATH that records what it got.
    const opener = process.platform === 'darwin' ? 'open' : 'xdg-open';
    writeFileSync(join(bin, opener), `#!/bin/sh\nprintf '%s\\n' "$@" > "${join(ws.path, 'opened.txt')}"\n`);
    chmodSync(join(bin, opener), 0o755);
  });
  after(() => ws.cleanup());

  test(
    'opens the report with the opener on PATH and prints the path',
    { skip: process.platform === 'win32' },
    () => {
      const r = quant(['report', 'open', '--run-id', 'r1', '--workspace', ws.path], { env: { PATH: bin } });
      assert.equal(r.code, 0, r.stderr);
      const path = r.stdout.trim();
      assert.ok(path.endsWith('meta_portfolio_report.html') && existsSync(path), `the path: ${r.stdout}`);
      assert.equal(
        readFileSync(join(ws.path, 'opened.txt'), 'utf8').trim(),
        path,
        'the opener got the report',
      );
      assert.match(r.stderr, /^opened with (xdg-open|open)$/m, r.stderr);
    },
  );

  test(
    'without an opener on PATH it prints the path and says so',
    { skip: process.platform === 'win32' },
    () => {
      const r = quant(['report', 'open', '--run-id', 'r1', '--workspace', ws.path], { env: { PATH: empty } });
      assert.equal(r.code, 0, r.stderr);
      assert.ok(r.stdout.trim().endsWith('meta_portfolio_report.html'), `the path: ${r.stdout}`);
      assert.match(r.stderr, /^no opener found \((xdg-open|open)\); open it in a browser$/m, r.stderr);
    },
  );
});

describe('did you mean', () => {
  test('a misspelt --param name and value get a suggestion', () => {
    const r = quant([
      'stage',
      'run',
      'portfolio.optimize',
      '--param',
      'input=data/swx_prices.csv',
      '--param',
      'methd=hrp',
      '--param',
      'linkage=wards',
      '--json',
    ]);
    assert.equal(r.code, 1, `exit code (stderr: ${r.stderr})`);
    const e = jsonError(r.stderr).error as JsonError['error'] & {
      issues?: { path: string; message: string }[];
    };
    assert.equal(e.code, 'E_PARAMS', `code: ${r.stderr}`);
    const byPath = new Map((e.issues ?? []).map((i) => [i.path, i.message]));
    assert.equal(byPath.get('methd'), 'unknown parameter (did you mean "method"?)', r.stderr);
    assert.match(byPath.get('linkage') ?? '', /\(did you mean "ward"\?\)$/, r.stderr);
  });
});

describe('late failures caught before the run folder exists', () => {
  test('--profiles naming a stream no sleeve has is E_TOO_FEW_SLEEVES and creates no run folder', async () => {
    const ws = tempDir();
    try {
      await buildSmallMetaWorkspace(ws.path);
      const before = readdirSync(join(ws.path, 'runs')).sort();
      const r = quant([
        'meta',
        'run',
        '--profile',
        SMALL_META_PROFILE,
        '--profiles',
        'hrp,min_variance',
        '--workspace',
        ws.path,
      ]);
      assert.equal(r.code, 1, `exit code (stderr: ${r.stderr})`);
      assert.match(
        r.stderr,
        /^E_TOO_FEW_SLEEVES: --profiles names min_variance, but no sleeve of small has a min_variance return stream .*--profiles hrp\b/,
        r.stderr,
      );
      assert.deepEqual(readdirSync(join(ws.path, 'runs')).sort(), before, 'no new folder in runs/');
    } finally {
      ws.cleanup();
    }
  });

  /**
   * Sleeve runs s1..s4 (hrp everywhere, min_variance in s1, s3 and s4 only) and two roots over the
   * nested level `inner` (s1 + s2): `top` = inner + s3, `wide` = inner + s3 + s4.
   */
  async function buildNestedWorkspace(ws: string): Promise<void> {
    const dates = businessDays('2024-01-01', 80);
    for (const [i, id] of ['s1', 's2', 's3', 's4'].entries()) {
      const streams: Record<string, { dates: string[]; returns: Float64Array }> = {
        hrp: { dates, returns: randomReturns(20 + i, dates.length, { vol: 0.01 + i * 0.002 }) },
      };
      if (id !== 's2')
        streams['min_variance'] = { dates, returns: randomReturns(30 + i, dates.length, { vol: 0.01 }) };
      await writeSleeveRun(ws, {
        runId: `${id}_run`,
        profile: id,
        createdAt: '2024-06-01T00:00:00Z',
        streams,
        weights: Object.fromEntries(
          Object.keys(streams).map((P) => [
            P,
            [{ Symbol: `X${i}`, Weight: 1, Net_Weight: 1, Direction: 'LONG' }],
          ]),
        ),
      });
    }
    await writeManifest(ws, {
      profiles: {
        inner: {
          sleeves: [
            { id: 'a', profile: 's1' },
            { id: 'b', profile: 's2' },
          ],
        },
        top: {
          sleeves: [
            { id: 'in', meta_profile: 'inner' },
            { id: 'c', profile: 's3' },
          ],
        },
        wide: {
          sleeves: [
            { id: 'in', meta_profile: 'inner' },
            { id: 'c', profile: 's3' },
            { id: 'd', profile: 's4' },
          ],
        },
      },
    });
  }

  test('--profiles leaving a level with fewer than 2 sleeves names the level and the profiles that work, and creates no run folder', async () => {
    const ws = tempDir();
    try {
      await buildNestedWorkspace(ws.path);
      const before = readdirSync(join(ws.path, 'runs')).sort();
      const r = quant([
        'meta',
        'run',
        '--profile',
        'top',
        '--profiles',
        'min_variance',
        '--workspace',
        ws.path,
        '--json',
      ]);
      assert.equal(r.code, 1, `exit code (stderr: ${r.stderr})`);
      const e = jsonError(r.stderr).error as JsonError['error'] & {
        details?: { levels?: { meta_profile: string; missing_stream: string[] }[]; runnable?: string[] };
      };
      assert.equal(e.code, 'E_TOO_FEW_SLEEVES', r.stderr);
      assert.match(
        e.message,
        /inner \(in\) keeps 1 sleeve\(s\) \(a\), with b lacking the min_variance return stream/,
        e.message,
      );
      assert.match(e.message, /top keeps 1 sleeve\(s\) \(c\), with in falling short itself/, e.message);
      assert.match(
        e.hint ?? '',
        /--profiles hrp\)/,
        `the hint lists the risk profiles every level can run: ${e.hint}`,
      );
      assert.deepEqual(e.details?.runnable, ['hrp'], 'details.runnable');
      assert.deepEqual(
        e.details?.levels?.map((l) => [l.meta_profile, l.missing_stream]),
        [
          ['inner', ['b']],
          ['top', []],
        ],
        'details.levels',
      );
      assert.deepEqual(readdirSync(join(ws.path, 'runs')).sort(), before, 'no new folder in runs/');
    } finally {
      ws.cleanup();
    }
  });

  test('a nested level that falls short is still dropped when its parent keeps 2 sleeves', async () => {
    const ws = tempDir();
    try {
      await buildNestedWorkspace(ws.path);
      const r = quant([
        'meta',
        'run',
        '--profile',
        'wide',
        '--profiles',
        'min_variance',
        '--workspace',
        ws.path,
      ]);
      assert.equal(r.code, 0, `exit code (stderr: ${r.stderr})`);
    } finally {
      ws.cleanup();
    }
  });
});

describe('quant manifest check', () => {
  test('lists every problem of every profile at once, with JSON path and line', () => {
    const ws = tempDir();
    try {
      writeFileSync(
        join(ws.path, 'manifest.json'),
        [
          '{',
          '  "profiles": {',
          '    "root": { "sleeves": [{ "id": "a", "profile": "s1" }, { "id": "b", "meta_profile": "nestd" }] },',
          '    "nested": { "sleves": [{ "id": "c", "meta_profile": "gone" }] },',
          '    "other": { "sleeves": [{ "id": "x", "profile": "s1" }], "risk_profile": ["hrp"] }',
          '  }',
          '}',
          '',
        ].join('\n'),
      );
      const r = quant(['manifest', 'check', '--json', '--workspace', ws.path]);
      assert.equal(r.code, 1, `exit code (stderr: ${r.stderr})`);
      assert.equal(r.stdout, '', 'no result on stdout');
      const e = jsonError(r.stderr).error as JsonError['error'] & {
        details?: { problems?: { path: string; line: number; message: string }[] };
      };
      assert.equal(e.code, 'E_MANIFEST', `code: ${r.stderr}`);
      const lines = new Map((e.details?.problems ?? []).map((p) => [p.path, p.line]));
      assert.equal(lines.get('profiles.root.sleeves[1].meta_profile'), 3, `dangling reference: ${r.stderr}`);
      assert.equal(lines.get('profiles.nested.sleves'), 4, `misspelt kind key: ${r.stderr}`);
      assert.equal(
        lines.get('profiles.nested.sleves[0].meta_profile'),
        4,
        `reference behind it: ${r.stderr}`,
      );
      assert.equal(
        lines.get('profiles.other.risk_profile'),
        5,
        `unknown key of another profile: ${r.stderr}`,
      );
      const text = quant(['manifest', 'check', '--workspace', ws.path]);
      assert.equal(text.code, 1, 'exit 1 without --json too');
      assert.equal(text.stderr.trim().split('\n').length, 1, `one line: ${text.stderr}`);
      assert.match(
        text.stderr,
        /^E_MANIFEST: .*: profiles root, nested, other are invalid: \d+ problems: /,
        text.stderr,
      );
    } finally {
      ws.cleanup();
    }
  });

  test("reads a trades block's files in the workspace: a missing prices file is one line, exit 1", async () => {
    const ws = tempDir();
    try {
      await buildSmallMetaWorkspace(ws.path);
      const file = join(ws.path, 'manifest.json');
      const doc = JSON.parse(readFileSync(file, 'utf8')) as {
        profiles: Record<string, Record<string, unknown>>;
      };
      const meta = doc.profiles[SMALL_META_PROFILE] as Record<string, unknown>;
      meta['trades'] = { prices: 'prices_now.csv', nav: 1e6, risk_profiles: ['hrp'] };
      writeFileSync(file, JSON.stringify(doc, null, 2));
      const r = quant(['manifest', 'check', '--workspace', ws.path]);
      assert.equal(r.code, 1, `exit code (stderr: ${r.stderr})`);
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
      assert.match(
        r.stderr,
        new RegExp(
          `^E_INPUT_NOT_FOUND: profiles\\.${SMALL_META_PROFILE}\\.trades\\.prices: input file .*prices_now\\.csv does not exist`,
        ),
        r.stderr,
      );
      writeFileSync(join(ws.path, 'prices_now.csv'), 'symbol,price\nA,10\n');
      const ok = quant(['manifest', 'check', '--workspace', ws.path]);
      assert.equal(ok.code, 0, `with the file it passes: ${ok.stderr}`);
    } finally {
      ws.cleanup();
    }
  });

  test('a sleeve profile neither declared nor run is a warning at its entry, with a did-you-mean; exit 0', async () => {
    const ws = tempDir();
    try {
      // s1 and s2 are not declared, but their runs are in the workspace: allowed, no warning.
      await buildSmallMetaWorkspace(ws.path);
      writeFileSync(join(ws.path, 'prices.csv'), readFileSync(join(REPO, 'data', 'swx_prices.csv')));
      const file = join(ws.path, 'manifest.json');
      const doc = JSON.parse(readFileSync(file, 'utf8')) as {
        profiles: Record<string, Record<string, unknown>>;
      };
      doc.profiles['bonds'] = {
        sleeve: { prices: 'prices.csv', assets: ['SBI', 'LP25'], risk_profiles: ['hrp'] },
      };
      const meta = doc.profiles[SMALL_META_PROFILE] as { sleeves: unknown[] };
      meta.sleeves.push({ id: 'c', profile: 'bondz' });
      const text = JSON.stringify(doc, null, 2);
      writeFileSync(file, text);
      const line = text.split('\n').findIndex((l) => l.includes('"bondz"')) + 1;
      const r = quant(['manifest', 'check'], { cwd: ws.path });
      assert.equal(r.code, 0, `a warning, not an error: ${r.stderr}`);
      assert.match(
        r.stdout,
        /manifest\.json: ok \(1 meta profile\(s\), 1 sleeve profile\(s\), 1 warning\(s\)\)/,
        r.stdout,
      );
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line, the typo only: ${r.stderr}`);
      assert.match(
        r.stderr,
        new RegExp(
          `^warning: manifest\\.json:${line} profiles\\.${SMALL_META_PROFILE}\\.sleeves\\[2\\]\\.profile: sleeve "c" of ${SMALL_META_PROFILE}: "bondz" is not a sleeve profile of the manifest \\(did you mean "bonds"\\?\\) and no run in the workspace has that profile`,
        ),
        r.stderr,
      );
      const j = quant(['manifest', 'check', '--json'], { cwd: ws.path });
      assert.equal(j.code, 0, j.stderr);
      const warnings = (JSON.parse(j.stdout) as { warnings: { path: string; line: number }[] }).warnings;
      assert.deepEqual(
        warnings.map((w) => [w.path, w.line]),
        [[`profiles.${SMALL_META_PROFILE}.sleeves[2].profile`, line]],
        'the warnings of --json',
      );
      // A run of the profile in the workspace: produced elsewhere, allowed.
      await writeSleeveRun(ws.path, {
        runId: 'bondz_run',
        profile: 'bondz',
        createdAt: '2024-06-01T00:00:00Z',
        streams: { hrp: { dates: businessDays('2024-01-01', 80), returns: randomReturns(3, 80) } },
        weights: { hrp: [{ Symbol: 'X9', Weight: 1, Net_Weight: 1, Direction: 'LONG' }] },
      });
      const ok = quant(['manifest', 'check'], { cwd: ws.path });
      assert.equal(ok.stderr, '', `with a run of it, no warning: ${ok.stderr}`);
    } finally {
      ws.cleanup();
    }
  });

  test('a valid manifest is ok', async () => {
    const ws = tempDir();
    try {
      await buildSmallMetaWorkspace(ws.path);
      const r = quant(['manifest', 'check', '--workspace', ws.path]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /manifest\.json: ok \(1 meta profile\(s\), 0 sleeve profile\(s\)\)/, r.stdout);
    } finally {
      ws.cleanup();
    }
  });
});
