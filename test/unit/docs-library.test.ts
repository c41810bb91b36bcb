// docs/library.md runs as written: every ```js block after `<!-- run -->` is executed against the sources
// (`'metafolio'` resolved to src/index.ts) and what it prints is compared with the ```text block after it,
// line by line (`…` in an expected line stands for further digits, not compared). Each block is imported
// as a module in this process, with console.log captured (a process per block spent 1.5 s of CPU each
// loading the sources again).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { format } from 'node:util';
import { REPO, tempDir } from '../helpers/cli.js';

const page = readFileSync(join(REPO, 'docs', 'library.md'), 'utf8');
const blocks = [...page.matchAll(/<!-- run -->\s*```js\n([\s\S]*?)```\s*```text\n([\s\S]*?)```/g)].map(
  (m) => ({ code: m[1] ?? '', expected: m[2] ?? '' }),
);
const entry = pathToFileURL(join(REPO, 'src', 'index.ts')).href;

function lineMatcher(line: string): RegExp {
  const parts = line.split('…').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('\\d*')}$`);
}

/** Import the module at `file` with console.log captured: what it printed, and what it threw, if anything. */
async function printed(file: string): Promise<{ text: string; error: string | undefined }> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => void lines.push(format(...args));
  try {
    await import(pathToFileURL(file).href);
    return { text: lines.join('\n'), error: undefined };
  } catch (error) {
    return {
      text: lines.join('\n'),
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    };
  } finally {
    console.log = log;
  }
}

describe('docs/library.md', () => {
  const tmp = tempDir('quant-library-doc-');
  after(() => tmp.cleanup());

  test('the Options table lists exactly the options optimizePortfolio accepts', async () => {
    const { optimizePortfolio } = (await import(entry)) as {
      optimizePortfolio: (returns: unknown, options: unknown) => unknown;
    };
    let message = '';
    try {
      optimizePortfolio([[0.01], [0.02]], { method: 'hrp', periodsPerYear: 252, notAnOption: 1 });
    } catch (error) {
      message = (error as Error).message;
    }
    const allowed = /allowed: ([\w, ]+)/.exec(message)?.[1]?.split(', ');
    assert.ok(
      allowed !== undefined && allowed.length > 5,
      `the refusal names the allowed options: ${message}`,
    );
    const section = /## Options\n([\s\S]*?)\n## /.exec(page)?.[1] ?? '';
    const documented = [...section.matchAll(/^\| `(\w+)` /gm)].map((m) => m[1]);
    assert.deepEqual([...documented].sort(), [...allowed].sort(), 'the table rows are the accepted options');
  });

  test('has runnable examples', () => {
    assert.ok(
      blocks.length >= 2,
      `at least two <!-- run --> blocks with their output, found ${blocks.length}`,
    );
  });

  blocks.forEach((block, i) => {
    test(`example ${i + 1} runs and prints what the page says`, async () => {
      assert.ok(block.code.includes("from 'metafolio'"), `example ${i + 1} imports the package`);
      const file = join(tmp.path, `example-${i + 1}.mjs`);
      writeFileSync(file, block.code.replaceAll("from 'metafolio'", `from '${entry}'`));
      const stdout = await printed(file);
      assert.equal(stdout.error, undefined, `example ${i + 1} runs to its end:\n${stdout.error}`);
      const got = stdout.text.trimEnd().split('\n');
      const want = block.expected.trimEnd().split('\n');
      assert.equal(got.length, want.length, `example ${i + 1} prints ${want.length} lines:\n${stdout.text}`);
      want.forEach((line, k) => {
        assert.match(got[k] ?? '', lineMatcher(line), `example ${i + 1}, line ${k + 1}`);
      });
    });
  });
});
