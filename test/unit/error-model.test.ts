// The error model is uniform: every code a `new QuantError(...)` in src/ raises is in ERROR_CODES and
// listed in docs/errors.md (and nothing else is), and every key of a `details` object literal is
// snake_case, as in the artifacts. Read from the source with the TypeScript parser, so a new throw site
// is covered without a test of its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { ERROR_CODES } from '../../src/errors.js';
import { REPO } from '../helpers/cli.js';

const SNAKE = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const p = join(dir, name);
      return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
    });
}

interface ThrowSite {
  readonly where: string;
  readonly code: string | undefined;
  readonly detailKeys: readonly string[];
}

function propertyName(p: ts.ObjectLiteralElementLike, file: ts.SourceFile): string | undefined {
  if (ts.isSpreadAssignment(p)) return undefined;
  const name = p.name;
  if (name === undefined) return undefined;
  if (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name)) return name.text;
  return name.getText(file);
}

/** Keys of every object literal under a `details:` property (nested ones included). */
function detailKeys(node: ts.Node, file: ts.SourceFile, out: string[]): void {
  if (ts.isObjectLiteralExpression(node)) {
    for (const p of node.properties) {
      const key = propertyName(p, file);
      if (key !== undefined) out.push(key);
    }
  }
  ts.forEachChild(node, (child) => detailKeys(child, file, out));
}

/** Every `new QuantError(code, message, {details})` and every `details: {...}` of src/. */
function throwSites(): { sites: ThrowSite[]; detailLiterals: { where: string; keys: string[] }[] } {
  const sites: ThrowSite[] = [];
  const detailLiterals: { where: string; keys: string[] }[] = [];
  for (const path of sourceFiles(join(REPO, 'src'))) {
    const file = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.ES2022, true);
    const at = (node: ts.Node): string =>
      `${relative(REPO, path)}:${file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1}`;
    const visit = (node: ts.Node): void => {
      if (ts.isNewExpression(node) && node.expression.getText(file) === 'QuantError') {
        const first = node.arguments?.[0];
        const code = first !== undefined && ts.isStringLiteral(first) ? first.text : undefined;
        sites.push({ where: at(node), code, detailKeys: [] });
      }
      if (ts.isPropertyAssignment(node) && propertyName(node, file) === 'details') {
        const keys: string[] = [];
        detailKeys(node.initializer, file, keys);
        detailLiterals.push({ where: at(node), keys });
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
  return { sites, detailLiterals };
}

test('every detail key is snake_case', () => {
  const { detailLiterals } = throwSites();
  assert.ok(detailLiterals.length > 50, `the scan finds the details of src/ (${detailLiterals.length})`);
  const bad = detailLiterals.flatMap((d) =>
    d.keys.filter((k) => !SNAKE.test(k)).map((k) => `${d.where}: ${k}`),
  );
  assert.deepEqual(bad, [], `detail keys that are not snake_case:\n${bad.join('\n')}`);
});

test('every literal code raised in src/ is in ERROR_CODES', () => {
  const { sites } = throwSites();
  const literal = sites.filter((s) => s.code !== undefined);
  assert.ok(literal.length > 200, `the scan finds the throw sites of src/ (${literal.length})`);
  const unknown = literal.filter((s) => !Object.hasOwn(ERROR_CODES, s.code as string));
  assert.deepEqual(
    unknown.map((s) => `${s.where}: ${s.code}`),
    [],
    'codes raised but not in the table',
  );
});

test('docs/errors.md lists every code of ERROR_CODES with its description, and no other', () => {
  const doc = readFileSync(join(REPO, 'docs', 'errors.md'), 'utf8');
  const rows = [...doc.matchAll(/^\|\s*`(E_[A-Z_]+)`\s*\|\s*(.+?)\s*\|$/gm)].map((m) => [m[1], m[2]]);
  assert.deepEqual(
    rows.map((r) => r[0]),
    Object.keys(ERROR_CODES),
    'the table of docs/errors.md has one row per code, in the order of ERROR_CODES',
  );
  for (const [code, description] of rows) {
    assert.equal(
      description,
      ERROR_CODES[code as keyof typeof ERROR_CODES],
      `${code}: docs/errors.md says what ERROR_CODES says`,
    );
  }
});
