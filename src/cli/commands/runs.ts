import { Command } from '@commander-js/extra-typings';
import { QuantSDK } from '../../sdk/quant-sdk.js';
import { assertWorkspaceFolder, type CliContext } from '../context.js';
import { formatColumns } from '../output.js';
import { addRunsShowCommand } from './runs-show.js';

export function runsCommand(ctx: CliContext): Command {
  const runs = new Command('runs').description('inspect runs of the workspace');
  runs
    .command('list')
    .description('list runs: id, kind, profile, status, created (unreadable run folders with the reason)')
    .option('--profile <profile>', 'only runs of this profile')
    .option('--json', 'machine-readable output')
    .action(async (opts) => {
      await assertWorkspaceFolder(ctx);
      const { runs: list, skipped } = await QuantSDK.listRuns({
        workspace: ctx.workspace,
        ...(opts.profile === undefined ? {} : { profile: opts.profile }),
      });
      // A folder under runs/ that is not a readable run is listed with the reason, never hidden: its
      // profile is unknown, so it is listed whatever --profile asks for.
      const unreadable = skipped.map((s) => ({ run_id: s.run_id, status: 'unreadable', reason: s.reason }));
      if (opts.json === true) {
        ctx.io.out(JSON.stringify([...list, ...unreadable], null, 2));
        return;
      }
      if (list.length === 0 && unreadable.length === 0) {
        ctx.io.out(
          opts.profile === undefined
            ? `no runs in ${ctx.workspace}`
            : `no runs of profile ${opts.profile} in ${ctx.workspace}${await otherProfiles(ctx.workspace)}`,
        );
        return;
      }
      ctx.io.out(
        formatColumns([
          ...list.map((r) => [r.run_id, r.kind, r.profile ?? '-', r.status, r.created_at]),
          ...unreadable.map((r) => [r.run_id, '?', '?', r.status, r.reason]),
        ]),
      );
    });
  addRunsShowCommand(runs, ctx);
  return runs;
}

/** `(profiles with runs: a, b)`, or nothing when there is no run at all. */
async function otherProfiles(workspace: string): Promise<string> {
  const { runs } = await QuantSDK.listRuns({ workspace });
  const profiles = [...new Set(runs.map((r) => r.profile).filter((p): p is string => p !== null))].sort();
  return profiles.length === 0 ? '' : ` (profiles with runs: ${profiles.join(', ')})`;
}
