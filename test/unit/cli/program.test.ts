// The lazily loaded command tree: the index of sub-commands matches the commands themselves, the
// top-level help built from the index alone equals the help of the full tree, and `--version` loads no
// sub-command.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCliContext } from '../../../src/cli/context.js';
import { COMMANDS, commandNamed, createProgram } from '../../../src/cli/program.js';
import type { Io } from '../../../src/cli/output.js';

const silent: Io = { out: () => undefined, err: () => undefined, interactive: false };
const ctx = createCliContext({ verbose: false, json: false, stages: [] }, silent, process.cwd(), {});

describe('quant command tree', () => {
  test('each index entry has the name, description and options of its command', async () => {
    for (const entry of COMMANDS) {
      const command = (await entry.load())(ctx);
      assert.equal(command.name(), entry.name, `${entry.name}: name`);
      assert.equal(command.description(), entry.description, `${entry.name}: description`);
      assert.equal(command.options.length > 0, entry.options, `${entry.name}: has options of its own`);
      assert.equal(command.registeredArguments.length, 0, `${entry.name}: no arguments at the top level`);
    }
  });

  test('the top-level help from the index equals the full tree’s', async () => {
    const lazy = await createProgram(ctx, ['--help']);
    const full = await createProgram(ctx);
    assert.equal(lazy.helpInformation(), full.helpInformation(), 'same top-level help');
  });

  test('only the named sub-command is loaded in full', async () => {
    const program = await createProgram(ctx, ['meta', 'run', '--profile', 'x']);
    const meta = program.commands.find((c) => c.name() === 'meta');
    const runs = program.commands.find((c) => c.name() === 'runs');
    assert.ok(meta !== undefined && meta.commands.length > 0, 'meta has its sub-commands');
    assert.ok(runs !== undefined && runs.commands.length === 0, 'runs is a stand-in');
  });

  test('commandNamed: the first word, the word after help, none for options', () => {
    assert.equal(commandNamed(['meta', 'run']), 'meta', 'first word');
    assert.equal(commandNamed(['help', 'runs']), 'runs', 'after help');
    assert.equal(commandNamed(['--version']), undefined, 'an option');
    assert.equal(commandNamed([]), undefined, 'nothing');
  });
});
