// Every node:assert call in test/ carries a message: on Node 20 under tsx, a failing assertion without
// one makes assert re-read and re-parse the TypeScript source to quote the expression, which took minutes
// (docs/hardening.md, "Test reliability"). Parses each file with the TypeScript compiler (no regex), finds
// the names bound to node:assert by its imports and checks every use of them. Prints one line per
// offence (file:line:column, the call and what is missing) and exits 1 if there is any.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ASSERT_MODULES = new Set(['node:assert', 'node:assert/strict', 'assert', 'assert/strict']);

/** Index of the message parameter of each assertion function. */
const MESSAGE_AT: Readonly<Record<string, number>> = {
  ok: 1,
  equal: 2,
  notEqual: 2,
  strictEqual: 2,
  notStrictEqual: 2,
  deepEqual: 2,
  notDeepEqual: 2,
  deepStrictEqual: 2,
  notDeepStrictEqual: 2,
  partialDeepStrictEqual: 2,
  match: 2,
  doesNotMatch: 2,
  throws: 2,
  doesNotThrow: 2,
  rejects: 2,
  doesNotReject: 2,
  fail: 0,
};
/** Functions whose second argument is the message when it is a string (Node's `throws(fn, 'why')`). */
const ERROR_OR_MESSAGE = new Set(['throws', 'doesNotThrow', 'rejects', 'doesNotReject']);
/** Members of the assert object that are not assertions (classes, the strict namespace). */
const NOT_ASSERTIONS = new Set(['AssertionError', 'CallTracker']);

export interface BareAssertion {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly call: string;
  readonly problem: string;
}

/** Every .ts/.mts/.js/.mjs file under `dir`, sorted. */
export function sourceFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) return sourceFiles(p);
      return /\.(?:m?ts|m?js)$/.test(name) && !name.endsWith('.d.ts') ? [p] : [];
    });
}

interface Bindings {
  /** Local names of the assert object itself (`import assert from 'node:assert/strict'`). */
  readonly objects: Set<string>;
  /** Local name → assertion function for named imports (`import { ok as check } from 'node:assert'`). */
  readonly functions: Map<string, string>;
}

function assertBindings(sf: ts.SourceFile): Bindings {
  const objects = new Set<string>();
  const functions = new Map<string, string>();
  for (const statement of sf.statements) {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue;
    if (!ASSERT_MODULES.has(statement.moduleSpecifier.text)) continue;
    const clause = statement.importClause;
    if (!clause) continue;
    if (clause.name) objects.add(clause.name.text);
    const named = clause.namedBindings;
    if (!named) continue;
    if (ts.isNamespaceImport(named)) {
      objects.add(named.name.text);
      continue;
    }
    for (const el of named.elements) {
      const imported = (el.propertyName ?? el.name).text;
      if (imported === 'default' || imported === 'strict') objects.add(el.name.text);
      else functions.set(el.name.text, imported);
    }
  }
  return { objects, functions };
}

function isStringLike(node: ts.Expression): boolean {
  return (
    ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateExpression(node)
  );
}

/** What is wrong with the arguments of a call to assertion `method`, or undefined if nothing is. */
function argumentProblem(method: string, args: ts.NodeArray<ts.Expression>): string | undefined {
  if (args.some((a) => ts.isSpreadElement(a))) return 'spread arguments: the message cannot be checked';
  const at = MESSAGE_AT[method];
  if (at === undefined) return `assert.${method} is not a known assertion with a message parameter`;
  const second = args[1];
  const message =
    ERROR_OR_MESSAGE.has(method) && args.length === 2 && second !== undefined && isStringLike(second)
      ? second
      : args[at];
  if (message === undefined) return 'no message argument';
  if (ts.isIdentifier(message) && message.text === 'undefined') return 'the message is undefined';
  if (
    (ts.isStringLiteral(message) || ts.isNoSubstitutionTemplateLiteral(message)) &&
    message.text.trim() === ''
  )
    return 'the message is empty';
  return undefined;
}

/** Which assertion an identifier use calls, or a problem if the assert object escapes as a value. */
function classify(
  id: ts.Identifier,
  b: Bindings,
): { call: ts.CallExpression; method: string } | string | null {
  const parent = id.parent;
  const fn = b.functions.get(id.text);
  if (ts.isCallExpression(parent) && parent.expression === id) {
    if (fn !== undefined) return { call: parent, method: fn };
    return { call: parent, method: 'ok' };
  }
  if (fn === undefined && ts.isPropertyAccessExpression(parent) && parent.expression === id) {
    const method = parent.name.text;
    const grand = parent.parent;
    if (ts.isCallExpression(grand) && grand.expression === parent) return { call: grand, method };
    if (NOT_ASSERTIONS.has(method)) return null;
    return `assert.${method} used as a value: call it with a message instead`;
  }
  return `${id.text} used as a value: call it with a message instead`;
}

function isDeclarationName(id: ts.Identifier): boolean {
  const p = id.parent;
  return (
    ts.isImportClause(p) ||
    ts.isImportSpecifier(p) ||
    ts.isNamespaceImport(p) ||
    ((ts.isVariableDeclaration(p) || ts.isParameter(p) || ts.isFunctionDeclaration(p)) && p.name === id) ||
    (ts.isPropertyAccessExpression(p) && p.name === id) ||
    (ts.isPropertyAssignment(p) && p.name === id) ||
    ts.isQualifiedName(p)
  );
}

/** Assertion calls without a message in the given source text. */
export function bareAssertionsIn(file: string, text: string): BareAssertion[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const b = assertBindings(sf);
  if (b.objects.size === 0 && b.functions.size === 0) return [];
  const found: BareAssertion[] = [];
  const report = (node: ts.Node, problem: string): void => {
    const { line, character } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
    const call = node.getText(sf).replace(/\s+/g, ' ');
    found.push({
      file,
      line: line + 1,
      column: character + 1,
      call: call.length > 100 ? `${call.slice(0, 97)}...` : call,
      problem,
    });
  };
  const visit = (node: ts.Node): void => {
    if (
      ts.isIdentifier(node) &&
      (b.objects.has(node.text) || b.functions.has(node.text)) &&
      !isDeclarationName(node)
    ) {
      const use = classify(node, b);
      if (typeof use === 'string') report(node.parent, use);
      else if (use !== null) {
        const problem = argumentProblem(use.method, use.call.arguments);
        if (problem !== undefined) report(use.call, problem);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

/** Assertion calls without a message in every source file under `dir`. */
export function bareAssertions(dir: string): BareAssertion[] {
  return sourceFiles(dir).flatMap((f) => bareAssertionsIn(f, readFileSync(f, 'utf8')));
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const dir = resolve(root, process.argv[2] ?? 'test');
  const found = bareAssertions(dir);
  for (const f of found)
    console.error(`${relative(root, f.file)}:${f.line}:${f.column}: ${f.problem}: ${f.call}`);
  if (found.length > 0) {
    console.error(
      `${found.length} assertion(s) without a message; give each a message saying what it checks`,
    );
    process.exit(1);
  }
  console.log(`every assertion under ${relative(root, dir) || '.'} carries a message`);
}
