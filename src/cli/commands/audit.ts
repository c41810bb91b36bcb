import { Command } from '@commander-js/extra-typings';
import { auditBrokenError } from '../../sdk/run-checks.js';
import { QuantSDK } from '../../sdk/quant-sdk.js';
import type { CliContext } from '../context.js';

export function auditCommand(ctx: CliContext): Command {
  const audit = new Command('audit').description('check audit ledgers');
  audit
    .command('verify')
    .description("verify the hash chain of a run's audit.jsonl; names the first broken line")
    .argument('<run_id>', 'the run to verify')
    .option('--json', 'machine-readable output')
    .action(async (runId, opts) => {
      const verdict = await QuantSDK.verifyLedger(runId, { workspace: ctx.workspace });
      if (opts.json === true) ctx.io.out(JSON.stringify({ run_id: runId, ...verdict }, null, 2));
      if (!verdict.ok) throw auditBrokenError(runId, verdict);
      if (opts.json !== true)
        ctx.io.out(`audit ok: runs/${runId}/audit.jsonl, ${verdict.records} records, chain intact`);
    });
  return audit;
}
