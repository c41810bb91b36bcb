import { relative, resolve } from 'node:path';
import { Command } from '@commander-js/extra-typings';
import { migrateManifestFile, type MigrateManifestResult } from '../../sdk/manifest-migrate.js';
import { checkManifestFile } from '../../sdk/manifest-check.js';
import type { CliContext } from '../context.js';
import { formatColumns } from '../output.js';

/** The report of a migration: one line per change, the profiles still invalid, and a summary. */
function describeMigration(result: MigrateManifestResult, cwd: string): string[] {
  const rel = (p: string): string => relative(cwd, p) || p;
  const lines: string[] = [];
  if (result.changes.length > 0)
    lines.push(formatColumns(result.changes.map((c) => [c.action, c.path, c.detail])));
  for (const { profile, problems } of result.invalid)
    for (const p of problems)
      lines.push(
        `invalid  ${p.path} (${rel(result.output)}:${p.line}): ${p.message} — runs that use ${profile} fail until it is fixed`,
      );
  const count = (action: string): number => result.changes.filter((c) => c.action === action).length;
  const invalid = result.invalid.length;
  lines.push(
    `wrote ${rel(result.output)}: ${result.metaProfiles.length} meta profile(s), ${result.sleeveProfiles.length} sleeve profile(s); ${count('dropped')} dropped, ${count('changed')} changed, ${count('kept')} kept with a note${invalid > 0 ? `; ${invalid} profile(s) still invalid (${result.invalid.map((i) => i.profile).join(', ')})` : ''}`,
  );
  return lines;
}

export function manifestCommand(ctx: CliContext): Command {
  const manifest = new Command('manifest').description('work with manifest files');
  manifest
    .command('migrate')
    .description(
      "convert the predecessor's configs/manifest.json into a metafolio manifest, listing what was dropped or changed",
    )
    .argument('<predecessor_manifest>', "the predecessor's manifest (configs/manifest.json)")
    .option(
      '--output <file>',
      'where to write the manifest (default: --manifest, else <workspace>/manifest.json)',
    )
    .option('--force', 'replace the output file if it exists')
    .option('--json', 'print the report as JSON')
    .action(async (input, opts) => {
      const output =
        opts.output !== undefined
          ? resolve(ctx.cwd, opts.output)
          : ctx.globals.manifest !== undefined
            ? resolve(ctx.cwd, ctx.globals.manifest)
            : resolve(ctx.workspace, 'manifest.json');
      const result = await migrateManifestFile({
        input: resolve(ctx.cwd, input),
        output,
        force: opts.force === true,
      });
      if (opts.json === true) {
        ctx.io.out(
          JSON.stringify(
            {
              input: result.input,
              output: result.output,
              meta_profiles: result.metaProfiles,
              sleeve_profiles: result.sleeveProfiles,
              changes: result.changes,
              invalid: result.invalid,
            },
            null,
            2,
          ),
        );
      } else for (const line of describeMigration(result, ctx.cwd)) ctx.io.out(line);
      for (const { profile, problems } of result.invalid)
        ctx.io.err(
          `warning: ${result.output}: profile ${profile} is still invalid (${problems.length} problem${problems.length === 1 ? '' : 's'}); runs that use it fail until it is fixed`,
        );
    });
  manifest
    .command('check')
    .description(
      'validate the whole manifest (--manifest, else <workspace>/manifest.json): every problem of every profile at once, with JSON path and line',
    )
    .option('--json', 'print the result as JSON')
    .action(async (opts) => {
      const path = resolve(ctx.cwd, ctx.globals.manifest ?? resolve(ctx.workspace, 'manifest.json'));
      const result = await checkManifestFile(path, { workspace: ctx.workspace });
      const summary = {
        file: result.file,
        meta_profiles: result.metaProfiles,
        sleeve_profiles: result.sleeveProfiles,
        warnings: result.warnings,
      };
      const shown = relative(ctx.cwd, result.file) || result.file;
      // A doubt, not a problem: the manifest stays valid and the exit code 0.
      for (const w of result.warnings) ctx.warn(`${shown}:${w.line} ${w.path}: ${w.message}`);
      if (opts.json === true) ctx.io.out(JSON.stringify({ ok: true, ...summary }, null, 2));
      else
        ctx.io.out(
          `${shown}: ok (${result.metaProfiles.length} meta profile(s), ${result.sleeveProfiles.length} sleeve profile(s)${result.warnings.length > 0 ? `, ${result.warnings.length} warning(s)` : ''})`,
        );
    });
  return manifest;
}
