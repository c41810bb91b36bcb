// Every path into the repository that the docs name exists: Markdown link targets (relative to the file),
// paths in backticks or prose rooted at a repository folder (`src/...`, `test/...`, `docs/...`, ...), paths
// under src/ named by their layer (`artifacts/atomic-write.ts`), the data files (`data/*.csv`, `data/*.md`)
// and bare `*.md` names (next to the file, at the root or in docs/). Placeholders (`<id>`, `{M}`, `*`, `...`)
// end the part checked. Fenced code blocks are examples (manifests, shell sessions) and are skipped, as are
// run-folder paths (`runs/...`, `data/returns/...`, `reports/...`), which name files of a workspace.
// A link's `#fragment` must name a heading of its target (GitHub's slugs).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { REPO } from '../helpers/cli.js';

const ROOTS = ['src', 'test', 'docs', 'scripts', 'bench', 'examples', 'data', '.ci'];
const LAYERS = [
  'artifacts',
  'cli',
  'core',
  'exec',
  'manifest',
  'mcp',
  'numeric',
  'report',
  'sdk',
  'stages',
  'util',
];

/** The documents checked: docs/*.md, README.md, CHANGELOG.md and the data provenance notes. */
function documents(): string[] {
  const docs = readdirSync(join(REPO, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => join(REPO, 'docs', f));
  return [
    ...docs,
    ...['README.md', 'CHANGELOG.md', 'data/PROVENANCE.md', 'examples/demo/data/PROVENANCE.md'].map((f) =>
      join(REPO, f),
    ),
  ];
}

/** Text outside fenced code blocks, with its line numbers. */
function proseLines(text: string): [number, string][] {
  const out: [number, string][] = [];
  let fenced = false;
  text.split('\n').forEach((line, i) => {
    if (/^\s*```/.test(line)) fenced = !fenced;
    else if (!fenced) out.push([i + 1, line]);
  });
  return out;
}

/** The part of a path before its first placeholder segment. */
function concrete(path: string): string {
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || /[<>{}*]|\.\.\./.test(part)) break;
    parts.push(part);
  }
  return parts.join('/');
}

/** The repository file a token names, or undefined when it names none (a run path, a command, ...). */
function repoTarget(token: string, docDir: string): string | undefined {
  const t = token.replace(/^\.\//, '').replace(/[.,;:]+$/, '');
  if (/\s|^[a-z]+:|^@|^\//.test(t)) return undefined;
  const first = t.split('/')[0] ?? '';
  if (t.includes('/')) {
    if (first === 'data') {
      // data/ is also the artifact folder of every run: only the repository's data files are checked.
      return /^data\/[^/]+\.(csv|md)$/.test(t) ? t : undefined;
    }
    if (ROOTS.includes(first)) return concrete(t);
    if (LAYERS.includes(first) && /\.ts$/.test(t)) return `src/${concrete(t)}`;
    return undefined;
  }
  if (/\.md$/.test(t)) {
    for (const dir of [docDir, '', 'docs']) if (existsSync(join(REPO, dir, t))) return join(dir, t);
    return join(docDir, t);
  }
  return undefined;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors of a Markdown file's headings (outside fenced blocks); repeats get -1, -2, ... */
function anchors(file: string): Set<string> {
  const out = new Set<string>();
  const count = new Map<string, number>();
  for (const [, line] of proseLines(readFileSync(file, 'utf8'))) {
    const m = /^#{1,6}\s+(.*)$/.exec(line);
    if (m === null) continue;
    const base = slug(m[1] ?? '');
    const n = count.get(base) ?? 0;
    count.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** A problem with the `#fragment` of a link to `path` (a Markdown file of the repository), or undefined. */
function badFragment(path: string, fragment: string): string | undefined {
  if (fragment === '' || !path.endsWith('.md') || !existsSync(join(REPO, path))) return undefined;
  const known = anchors(join(REPO, path));
  return known.has(decodeURIComponent(fragment)) ? undefined : `no heading #${fragment} in ${path}`;
}

function missingPaths(): string[] {
  const missing: string[] = [];
  for (const file of documents()) {
    const docDir = relative(REPO, dirname(file));
    const name = relative(REPO, file);
    for (const [line, text] of proseLines(readFileSync(file, 'utf8'))) {
      const seen = new Set<string>();
      // Markdown link targets, relative to the document.
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const [target = '', fragment = ''] = (m[1] ?? '').split('#');
        if (/^[a-z]+:/.test(target)) continue;
        seen.add(m[1] ?? '');
        const path = target === '' ? name : join(docDir, target);
        if (!existsSync(join(REPO, path))) missing.push(`${name}:${line}: link ${target} → ${path}`);
        const bad = badFragment(path, fragment);
        if (bad !== undefined) missing.push(`${name}:${line}: link ${m[1] ?? ''}: ${bad}`);
      }
      // Backticked tokens and bare words that look like paths.
      const tokens = [
        ...[...text.matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? ''),
        ...[
          ...text
            .replace(/`[^`]*`/g, ' ')
            .matchAll(/(?:^|[\s(])((?:\.?[\w-]+\/)+[\w.<>{}*-]*|[\w-]+\.md)\b/g),
        ].map((m) => m[1] ?? ''),
      ];
      for (const token of tokens) {
        if (seen.has(token)) continue;
        const target = repoTarget(token, docDir);
        if (target !== undefined && target !== '' && !existsSync(join(REPO, target))) {
          missing.push(`${name}:${line}: ${token} → ${target}`);
        }
      }
    }
  }
  return missing;
}

describe('docs', () => {
  test('every repository path and link anchor named in docs/*.md, README.md, CHANGELOG.md and the data notes exists', () => {
    const missing = missingPaths();
    assert.deepEqual(missing, [], `paths that do not exist:\n${missing.join('\n')}`);
  });

  test('the check itself finds a missing path, a missing link, a bare missing .md and a missing heading', () => {
    assert.equal(
      repoTarget('src/numeric/optimize/min-variance.ts', 'docs'),
      'src/numeric/optimize/min-variance.ts',
      "repoTarget('src/numeric/optimize/min-variance.ts', 'docs')",
    );
    assert.equal(
      repoTarget('test/fixtures/golden/<dataset>.reference.json', 'docs'),
      'test/fixtures/golden',
      "repoTarget('test/fixtures/golden/<dataset>.reference.json', 'docs')",
    );
    assert.equal(
      repoTarget('artifacts/atomic-write.ts', 'docs'),
      'src/artifacts/atomic-write.ts',
      "repoTarget('artifacts/atomic-write.ts', 'docs')",
    );
    assert.equal(
      repoTarget('data/returns/P.parquet', 'docs'),
      undefined,
      "repoTarget('data/returns/P.parquet', 'docs')",
    );
    assert.equal(
      repoTarget('runs/<run_id>/data/x.json', 'docs'),
      undefined,
      "repoTarget('runs/<run_id>/data/x.json', 'docs')",
    );
    assert.equal(repoTarget('NOWHERE.md', 'docs'), 'docs/NOWHERE.md', "repoTarget('NOWHERE.md', 'docs')");
    assert.equal(
      badFragment('docs/design.md', '3-manifest-manifestjson'),
      undefined,
      'design.md has the heading "3. Manifest (`manifest.json`)"',
    );
    assert.equal(
      badFragment('docs/security.md', 'queue-jobs-and-workers-redis--bullmq'),
      undefined,
      'security.md has the heading "Queue jobs and workers (Redis / BullMQ)"',
    );
    assert.equal(
      badFragment('docs/design.md', 'no-such-heading'),
      'no heading #no-such-heading in docs/design.md',
      'a fragment naming no heading is reported',
    );
    assert.equal(existsSync(join(REPO, 'docs/NOWHERE.md')), false, 'docs/NOWHERE.md does not exist');
  });
});
