import type { Registry } from './registry.js';
import { stageParamsJsonSchema } from './params.js';

/** The stage catalog as Markdown (docs/stages.md): id, summary, aliases, output and params schema. */
export function renderStageCatalogMarkdown(registry: Registry): string {
  const lines: string[] = [
    '# Stages',
    '',
    '<!-- Generated from the built-in catalog by `npm run docs`; `npm run check` fails when it is stale. -->',
    '',
    '| id | name | category | aliases |',
    '| --- | --- | --- | --- |',
    ...registry.stages.map(
      (s) => `| \`${s.id}\` | ${s.name} | ${s.category} | ${s.aliases.map((a) => `\`${a}\``).join(', ')} |`,
    ),
    '',
  ];
  if (registry.pipelines.length > 0) {
    lines.push('## Pipelines', '', '| name | stages | description |', '| --- | --- | --- |');
    for (const p of registry.pipelines)
      lines.push(`| \`${p.name}\` | ${p.stages.map((s) => `\`${s}\``).join(' → ')} | ${p.description} |`);
    lines.push('');
  }
  for (const s of registry.stages) {
    lines.push(`## \`${s.id}\``, '', s.description, '');
    lines.push(`- **category**: ${s.category}`);
    lines.push(`- **tags**: ${s.tags.join(', ') || '—'}`);
    if (s.aliases.length > 0) lines.push(`- **aliases**: ${s.aliases.map((a) => `\`${a}\``).join(', ')}`);
    lines.push(`- **output**: ${s.output}`, '');
    lines.push(
      'Parameters (JSON Schema, draft 2020-12):',
      '',
      '```json',
      JSON.stringify(stageParamsJsonSchema(s), null, 2),
      '```',
      '',
    );
  }
  return lines.join('\n');
}
