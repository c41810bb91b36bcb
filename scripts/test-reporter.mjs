// node:test reporter for scripts/run-tests.mjs: Node's TAP output, with every skipped (or todo) test and
// suite listed by file, name and reason just before the closing summary, whose `# skipped` line then
// counts skipped suites too (Node 20 counts only tests: a skipped suite read `skipped 0`). Tests skipped
// by --test-name-pattern are counted apart. The list is also written as JSON to $QUANT_TEST_SKIPS_FILE,
// for the runner's CI check. The output goes to fd 1 (use it with --test-reporter-destination=stdout). The output goes to fd 1 (use it with --test-reporter-destination=stdout).
import { writeFileSync, writeSync } from 'node:fs';
import { relative } from 'node:path';
import { tap } from 'node:test/reporters';

const FILTERED = 'test name does not match pattern';

/** Names of the enclosing suites of each running test, per file (files report one after another). */
const path = new Map();

function fullName(data) {
  const stack = path.get(data.file) ?? [];
  return [...stack.slice(0, data.nesting), data.name].join(' › ');
}

function diagnostic(message) {
  return { type: 'test:diagnostic', data: { nesting: 0, message } };
}

async function* withSkips(source) {
  const skips = [];
  let filtered = 0;
  let summary = false;
  for await (const event of source) {
    const { type, data } = event;
    if (type === 'test:start' && data.file !== undefined) {
      const stack = path.get(data.file) ?? [];
      stack.length = data.nesting;
      stack.push(data.name);
      path.set(data.file, stack);
    }
    if (
      (type === 'test:pass' || type === 'test:fail') &&
      (data.skip !== undefined || data.todo !== undefined)
    ) {
      const reason = data.skip ?? data.todo;
      if (reason === FILTERED) filtered += 1;
      else
        skips.push({
          file: data.file === undefined ? '?' : relative(process.cwd(), data.file),
          name: fullName(data),
          kind: data.details?.type === 'suite' ? 'suite' : 'test',
          todo: data.skip === undefined,
          reason: reason === true ? '(no reason given)' : String(reason),
        });
    }
    if (type === 'test:diagnostic' && data.nesting === 0 && !summary && /^tests \d+$/.test(data.message)) {
      summary = true;
      for (const s of skips)
        yield diagnostic(
          `not run: ${s.file} › ${s.name} (${s.kind}, ${s.todo ? 'todo' : 'skipped'}): ${s.reason}`,
        );
      const count = (kind, todo) => skips.filter((s) => s.kind === kind && s.todo === todo).length;
      yield diagnostic(
        `not run: ${count('suite', false)} suite(s) and ${count('test', false)} test(s) skipped, ` +
          `${count('suite', true) + count('test', true)} todo` +
          (filtered > 0 ? `; ${filtered} test(s) filtered out by --test-name-pattern` : ''),
      );
      if (process.env['QUANT_TEST_SKIPS_FILE'])
        writeFileSync(process.env['QUANT_TEST_SKIPS_FILE'], JSON.stringify(skips, null, 1));
    }
    if (type === 'test:diagnostic' && data.nesting === 0 && summary && /^skipped \d+$/.test(data.message)) {
      const suites = skips.filter((s) => s.kind === 'suite' && !s.todo).length;
      yield diagnostic(`skipped ${Number(data.message.slice('skipped '.length)) + suites}`);
      continue;
    }
    if (
      type === 'test:diagnostic' &&
      data.nesting === 0 &&
      summary &&
      data.message.startsWith('duration_ms ')
    )
      lastSeen = true;
    yield event;
  }
}

// With --test-force-exit, Node 20 calls process.exit as soon as the run ends, before a reporter has read
// the last summary events (`# duration_ms`, sometimes `# todo`, went missing). This reporter writes to
// fd 1 synchronously, and an exit waits until it has written the last summary line.
const exit = process.exit.bind(process);
let lastSeen = false;
let written = false;
let exitCode;
process.exit = (code) => {
  if (written) return exit(code);
  exitCode = code ?? process.exitCode ?? 0;
  // A safety net only: the summary events are already queued when the runner exits.
  setTimeout(() => exit(exitCode), 10_000);
  return undefined;
};

const pause = new Int32Array(new SharedArrayBuffer(4));

function writeOut(text) {
  const bytes = Buffer.from(text);
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += writeSync(1, bytes, offset);
    } catch (error) {
      if (error?.code !== 'EAGAIN') throw error;
      Atomics.wait(pause, 0, 0, 5); // a full non-blocking pipe: let the reader catch up
    }
  }
}

// eslint-disable-next-line require-yield -- the output goes to fd 1 synchronously (writeOut)
export default async function* reporter(source) {
  for await (const chunk of tap(withSkips(source))) {
    writeOut(chunk);
    if (lastSeen && !written) {
      written = true;
      if (exitCode !== undefined) exit(exitCode);
    }
  }
}
