import { Command } from '@commander-js/extra-typings';
import { QuantSDK } from '../../sdk/quant-sdk.js';
import { auditFailure, describeAudit } from '../../sdk/run-audit.js';
import type { CliContext } from '../context.js';

export function auditCommand(ctx: CliContext): Command {
  const audit = new Command('audit').description('check audit ledgers');
  audit
    .command('verify')
    .description(
      "verify a run's audit.jsonl: the hash chain, its anchor in run.json (appended, truncated or rewritten ledgers), " +
        'the HMAC of the anchor when QUANT_LEDGER_KEY is set, and every recorded output file against its hash',
    )
    .argument('<run_id>', 'the run to verify')
    .option('--json', 'machine-readable output')
    .option(
      '--strict',
      'also fail a run whose ledger is not anchored and, when QUANT_LEDGER_KEY is set, one that is unsigned',
    )
    .action(async (runId, opts) => {
      const report = await QuantSDK.verifyAudit(runId, {
        workspace: ctx.workspace,
        env: ctx.env,
        strict: opts.strict === true,
      });
      if (opts.json === true) ctx.io.out(JSON.stringify(report, null, 2));
      else for (const line of describeAudit(report)) ctx.io.out(line);
      const failure = auditFailure(report);
      if (failure !== undefined) throw failure;
      if (opts.json !== true)
        ctx.io.out(`audit ok: runs/${runId}/audit.jsonl, ${report.records} records, chain intact`);
    });
  return audit;
}
