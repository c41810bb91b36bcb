// Bundles the web app of `quant serve` (web/) into dist/web: index.html, app.js and app.css, minified,
// with no source map and no build time or path in the output, so the same sources give the same bytes.
// Everything the page needs (Preact, uPlot and its stylesheet) is inside the bundle: it loads nothing
// from any other host and works offline.
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

/** Build dist/web from web/ under `root` (the repository); throws when esbuild reports an error. */
export async function buildWebApp(root) {
  const out = join(root, 'dist', 'web');
  mkdirSync(out, { recursive: true });
  await build({
    absWorkingDir: root,
    entryPoints: { app: join(root, 'web', 'src', 'main.tsx') },
    outdir: out,
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['es2022'],
    platform: 'browser',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    sourcemap: false,
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'warning',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  copyFileSync(join(root, 'web', 'index.html'), join(out, 'index.html'));
}
