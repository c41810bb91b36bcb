import { QuantError } from '../errors.js';

/** Options accepted by every command, before or after the sub-command. */
export interface GlobalOptions {
  workspace?: string;
  manifest?: string;
  verbose: boolean;
  /** `--json` anywhere: machine-readable output where the command has it, and errors as JSON. */
  json: boolean;
  stages: string[];
}

const VALUED = new Map<string, 'workspace' | 'manifest' | 'stages'>([
  ['--workspace', 'workspace'],
  ['--manifest', 'manifest'],
  ['--stages', 'stages'],
]);

/**
 * Pull the global options out of argv wherever they stand, so that `quant --workspace w stage list` and
 * `quant stage list --workspace w` mean the same. Everything after `--` is left alone. `--json` is noted
 * and moved behind the sub-command, where the commands that print JSON declare it (`quant --json runs
 * list` = `quant runs list --json`; a command without JSON output refuses it as a usage error).
 */
export function extractGlobalOptions(argv: readonly string[]): { globals: GlobalOptions; rest: string[] } {
  const globals: GlobalOptions = { verbose: false, json: false, stages: [] };
  const rest: string[] = [];
  let tail: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      tail = argv.slice(i);
      break;
    }
    if (arg === '--json') {
      globals.json = true;
      continue;
    }
    if (arg === '--verbose' || arg === '-v') {
      globals.verbose = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const key = VALUED.get(name);
    if (key === undefined) {
      rest.push(arg);
      continue;
    }
    let value: string | undefined;
    if (eq > 0) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      i++;
    }
    if (value === undefined || value === '') {
      throw new QuantError('E_USAGE', `option ${name} needs a value`, { hint: `write ${name} <path>` });
    }
    if (key === 'stages') globals.stages.push(value);
    else globals[key] = value;
  }
  if (globals.json) rest.push('--json');
  rest.push(...tail);
  return { globals, rest };
}
