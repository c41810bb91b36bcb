// Import-layer check (STYLE.md): cli → mcp → sdk → stages → {core, numeric, artifacts, report, exec, manifest};
// numeric, report and artifacts import neither each other nor core; nothing imports cli; no cycles.
// Reads every relative import of src/ and fails with one line per violation.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..', 'src');
const ALLOWED: Record<string, readonly string[]> = {
  '.': ['sdk', 'stages', 'core', 'numeric', 'errors', 'registry', 'util'],
  cli: [
    'cli',
    'sdk',
    'stages',
    'core',
    'artifacts',
    'report',
    'exec',
    'errors',
    'numeric',
    'manifest',
    'mcp',
    'util',
  ],
  mcp: ['mcp', 'sdk', 'core', 'artifacts', 'stages', 'manifest', 'errors', 'util'],
  sdk: ['sdk', 'stages', 'core', 'artifacts', 'errors', 'exec', 'numeric', 'report', 'manifest', 'util'],
  stages: ['stages', 'core', 'numeric', 'artifacts', 'report', 'exec', 'errors', 'manifest', 'util'],
  manifest: ['manifest', 'errors', 'numeric', 'util'],
  exec: ['exec', 'core', 'artifacts', 'errors', 'util'],
  core: ['core', 'errors', 'util'],
  numeric: ['numeric', 'errors', 'util'],
  artifacts: ['artifacts', 'errors', 'util'],
  report: ['report', 'errors', 'util'],
  errors: [],
  util: [],
  registry: ['stages', 'core'],
  index: ['sdk', 'stages', 'core', 'numeric', 'errors', 'util'],
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function layerOf(file: string): string {
  const rel = relative(root, file).split('/');
  return rel.length === 1 ? (rel[0] as string).replace(/\.ts$/, '') : (rel[0] as string);
}

const graph = new Map<string, string[]>();
const violations: string[] = [];
for (const file of files(root)) {
  const source = readFileSync(file, 'utf8');
  const deps: string[] = [];
  // Type-only imports are erased at run time, so they neither break layers at run time nor form cycles;
  // they still count for the layer rule.
  for (const m of source.matchAll(
    /(?:^|\n)\s*(import|export)(\s+type)?\b[^'"]*?from\s+['"](\.[^'"]+)['"]/g,
  )) {
    const typeOnly = m[2] !== undefined;
    const target = resolve(dirname(file), (m[3] as string).replace(/\.js$/, '.ts'));
    if (!typeOnly) deps.push(target);
    const from = layerOf(file);
    const to = layerOf(target);
    if (!(ALLOWED[from] ?? []).includes(to)) {
      violations.push(
        `${relative(root, file)} imports ${relative(root, target)}: layer ${from} may not import ${to}`,
      );
    }
  }
  graph.set(file, deps);
}

// Cycle detection (DFS with colours).
const colour = new Map<string, 1 | 2>();
const stack: string[] = [];
function visit(node: string): void {
  colour.set(node, 1);
  stack.push(node);
  for (const dep of graph.get(node) ?? []) {
    const c = colour.get(dep);
    if (c === 1) {
      const cycle = stack
        .slice(stack.indexOf(dep))
        .concat(dep)
        .map((f) => relative(root, f));
      violations.push(`import cycle: ${cycle.join(' → ')}`);
    } else if (c === undefined && graph.has(dep)) visit(dep);
  }
  stack.pop();
  colour.set(node, 2);
}
for (const node of graph.keys()) if (!colour.has(node)) visit(node);

if (violations.length > 0) {
  for (const v of violations) console.error(`layers: ${v}`);
  process.exit(1);
}
console.log(`layers ok: ${graph.size} files, no forbidden import, no cycle`);
