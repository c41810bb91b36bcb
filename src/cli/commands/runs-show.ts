import type { Command } from '@commander-js/extra-typings';
import { parseQuantAddress } from '../../core/address.js';
import { renderStageCatalogMarkdown } from '../../core/catalog-doc.js';
import { QuantError } from '../../errors.js';
import { artifactViewJson, renderArtifactText } from '../../mcp/artifact-render.js';
import { QuantSDK } from '../../sdk/quant-sdk.js';
import type { CliContext } from '../context.js';

/** Add `quant runs show <address>` to `runs`: print what a `quant://runs/...` address names. */
export function addRunsShowCommand(runs: Command, ctx: CliContext): void {
  runs
    .command('show')
    .description(
      'print an artifact: quant://runs/<run_id>/<path> (JSON pretty-printed, Parquet as shape + first rows, text as is; without a path, the files of the run)',
    )
    .argument('<address>', 'quant://runs/<run_id>/<path inside the run>')
    .option('--json', 'machine-readable output')
    .action(async (text, opts) => {
      const address = parseQuantAddress(text);
      if (address.kind === 'stage') {
        throw new QuantError('E_ADDRESS', `${text} names a stage, not an artifact`, {
          hint: `run it with \`quant stage run ${text}\``,
          details: { address: text },
        });
      }
      if (address.kind === 'doc') {
        if (address.name !== 'stages.md') {
          throw new QuantError('E_ARTIFACT_MISSING', `no document ${text}`, {
            hint: 'documents: quant://docs/stages.md',
          });
        }
        ctx.io.out(renderStageCatalogMarkdown(await ctx.registry()));
        return;
      }
      const view = await QuantSDK.readArtifact(address.runId, address.path, { workspace: ctx.workspace });
      ctx.io.out(
        opts.json === true ? JSON.stringify(artifactViewJson(view), null, 2) : renderArtifactText(view),
      );
    });
}
