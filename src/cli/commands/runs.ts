import { Command } from '@commander-js/extra-typings';
import { listRuns } from '../../artifacts/index.js';
import type { CliContext } from '../context.js';
import { formatColumns } from '../output.js';
import { addRunsShowCommand } from './runs-show.js';

export function runsCommand(ctx: CliContext): Command {
  const runs = new Command('runs').description('inspect runs of the workspace');
  runs
    .command('list')
    .description('list runs: id, kind, profile, status, created')
    .option('--profile <profile>', 'only runs of this profile')
    .option('--json', 'machine-readable output')
    .action(async (opts) => {
      const list = await listRuns(ctx.workspace, opts.profile === undefined ? {} : { profile: opts.profile });
      if (opts.json === true) {
        ctx.io.out(JSON.stringify(list, null, 2));
        return;
      }
      if (list.length === 0) {
        ctx.io.out(`no runs in ${ctx.workspace}`);
        return;
      }
      ctx.io.out(
        formatColumns(list.map((r) => [r.run_id, r.kind, r.profile ?? '-', r.status, r.created_at])),
      );
    });
  addRunsShowCommand(runs, ctx);
  return runs;
}
