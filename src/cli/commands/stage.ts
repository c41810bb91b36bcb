import { Command } from '@commander-js/extra-typings';
import { QuantError, isQuantError } from '../../errors.js';
import { parseStageRef } from '../../core/address.js';
import {
  coerceStringParams,
  parseParamPairs,
  resolveStageParams,
  stageParamsJsonSchema,
} from '../../core/params.js';
import { QuantSDK } from '../../sdk/quant-sdk.js';
import { readParamsFile, type ParamsFile } from '../../sdk/params-file.js';
import type { CliContext } from '../context.js';
import { formatColumns, stageResultJson } from '../output.js';
import { stopOnSignal } from './_stop-on-signal.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** A params error about a key that came from the params file, located in that file. */
function blameParamsFile(
  error: unknown,
  file: ParamsFile | undefined,
  overridden: ReadonlySet<string>,
): unknown {
  if (file === undefined || !isQuantError(error) || error.code !== 'E_PARAMS') return error;
  const key = error.issues
    .map((i) => i.path.split(/[.[]/)[0] ?? '')
    .find((k) => Object.hasOwn(file.value, k) && !overridden.has(k));
  if (key === undefined) return error;
  return new QuantError(error.code, error.message, {
    location: { file: file.path, jsonPath: key, line: file.lineOf(key) },
    ...(error.hint === undefined ? {} : { hint: error.hint }),
    issues: error.issues,
    details: error.details,
    cause: error,
  });
}

export function stageCommand(ctx: CliContext): Command {
  const stage = new Command('stage').description('list, describe and run stages');

  stage
    .command('list')
    .description('list stages: id, name, category')
    .option('--category <category>', 'only this category')
    .option('--tag <tag>', 'only stages with this tag')
    .option('--json', 'machine-readable output')
    .action(async (opts) => {
      const registry = await ctx.registry();
      const stages = registry.listStages({
        ...(opts.category === undefined ? {} : { category: opts.category }),
        ...(opts.tag === undefined ? {} : { tag: opts.tag }),
      });
      if (stages.length === 0) {
        // Nothing matched: say so on stderr (stdout stays empty, or `[]` with --json), exit 0.
        const all = registry.listStages();
        const filters = [
          ...(opts.category === undefined
            ? []
            : [
                `--category ${opts.category} (categories: ${[...new Set(all.map((s) => s.category))].sort().join(', ')})`,
              ]),
          ...(opts.tag === undefined
            ? []
            : [`--tag ${opts.tag} (tags: ${[...new Set(all.flatMap((s) => s.tags))].sort().join(', ')})`]),
        ];
        ctx.io.err(`no stage matches ${filters.join(' and ')}`);
      }
      if (opts.json === true) {
        ctx.io.out(
          JSON.stringify(
            stages.map((s) => ({
              id: s.id,
              name: s.name,
              category: s.category,
              tags: s.tags,
              aliases: s.aliases,
              description: s.description,
              output: s.output,
            })),
            null,
            2,
          ),
        );
        return;
      }
      if (stages.length > 0) ctx.io.out(formatColumns(stages.map((s) => [s.id, s.name, s.category])));
    });

  stage
    .command('schema')
    .description("print the JSON Schema of a stage's params")
    .argument('<id>', 'stage id, alias or quant://<stage id> address')
    .action(async (id) => {
      const registry = await ctx.registry();
      const target = registry.getStage(parseStageRef(id).stageId);
      ctx.io.out(JSON.stringify(stageParamsJsonSchema(target), null, 2));
    });

  stage
    .command('run')
    .description('run one stage in a run folder')
    .argument(
      '<id>',
      'stage id, alias or quant://<stage id>?key=value&... address (--param overrides its params)',
    )
    .option('--run-id <id>', 'run id (default: a new run <profile or stage>_<YYYYMMDD-HHMMSS>[-NNN])')
    .option(
      '--param <key=value>',
      'a parameter, parsed by the stage schema (repeatable)',
      collect,
      [] as string[],
    )
    .option('--params-file <file>', 'a JSON object of parameters (--param values override it)')
    .option('--json', 'print the result as JSON')
    .action(async (id, opts) => {
      const registry = await ctx.registry();
      const ref = parseStageRef(id);
      const target = registry.getStage(ref.stageId);
      const file = opts.paramsFile === undefined ? undefined : await readParamsFile(opts.paramsFile);
      // Precedence, lowest first: --params-file, the address's query, --param.
      const given = {
        ...coerceStringParams(target, ref.pairs),
        ...coerceStringParams(target, parseParamPairs(opts.param)),
      };
      const params = { ...file?.value, ...given };
      try {
        resolveStageParams(target, params);
      } catch (error) {
        throw blameParamsFile(error, file, new Set(Object.keys(given)));
      }
      const sdk = new QuantSDK({ registry });
      const options = ctx.runOptions(opts.runId);
      const result = await stopOnSignal((signal) => sdk.runStage(target.id, params, { ...options, signal }));
      if (opts.json === true) {
        ctx.io.out(stageResultJson(result));
        return;
      }
      ctx.io.out(`${result.stageId} ok (run ${result.runId}): ${result.summary}`);
      for (const o of result.outputs) ctx.io.out(`  wrote ${o.path}`);
    });

  return stage;
}
