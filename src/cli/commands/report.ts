import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Option } from '@commander-js/extra-typings';
import { readRunJson, runDir } from '../../artifacts/index.js';
import { QuantError } from '../../errors.js';
import { REPORT_HTML, REPORT_MD } from '../../stages/meta/_artifact-types.js';
import type { CliContext } from '../context.js';

/** Absolute path of a run's report; `E_RUN_NOT_FOUND` / `E_ARTIFACT_MISSING` with what to run. */
async function reportPath(ctx: CliContext, runId: string, format: 'html' | 'md'): Promise<string> {
  const run = await readRunJson(ctx.workspace, runId);
  const rel = format === 'html' ? REPORT_HTML : REPORT_MD;
  const file = join(runDir(ctx.workspace, runId), rel);
  if (!existsSync(file) && run.kind !== 'meta') {
    throw new QuantError(
      'E_ARTIFACT_MISSING',
      `run ${runId} is a ${run.kind} run: only meta runs have a report`,
      {
        location: { file: `runs/${runId}/run.json` },
        hint: 'list the meta runs with: quant runs list',
      },
    );
  }
  if (!existsSync(file)) {
    const profile = run.profile ?? '<meta_profile>';
    throw new QuantError('E_ARTIFACT_MISSING', `run ${runId} has no ${rel}`, {
      location: { file: `runs/${runId}/${rel}` },
      hint: `write it with: quant stage run meta.report --run-id ${runId} --param meta_profile=${profile}`,
    });
  }
  return file;
}

function addPathCommand(report: Command, name: string, description: string, ctx: CliContext): void {
  report
    .command(name)
    .description(description)
    .requiredOption('--run-id <id>', 'the meta run')
    .addOption(
      new Option('--format <format>', 'which report')
        .choices(['html', 'md'] as const)
        .default('html' as const),
    )
    .action(async (opts) => {
      ctx.io.out(await reportPath(ctx, opts.runId, opts.format));
    });
}

/**
 * `quant report open|path --run-id R`: print the absolute path of a run's report (HTML by default), for
 * a browser or a script. Nothing is launched: the same command works on a headless machine.
 */
export function reportCommand(ctx: CliContext): Command {
  const report = new Command('report').description("locate a meta run's report");
  addPathCommand(report, 'path', 'print the absolute path of the report', ctx);
  addPathCommand(
    report,
    'open',
    'print the path of the self-contained report to open in a browser (no network needed)',
    ctx,
  );
  return report;
}
