/** The limits table of a risk profile: every limit of every level, its value, what is reached, binding or not. */
import { code, pct, table } from './_markdown.js';
import type { LimitRow, LimitsSection } from './meta-report-data.js';

const R = 'right' as const;
const L = 'left' as const;

/** Caps on flattened positions hold the absolute net weight; the other limits hold a weight or a sum. */
const ABSOLUTE_KINDS = new Set(['exposure', 'exposure_rest']);

function levelCell(r: LimitRow): string {
  return r.level === '' ? `root ${code(r.profile)}` : `${code(r.level)} (${code(r.profile)})`;
}

/** `sleeve box`, `group equity`, `cap SBI`, ... in words; an unknown kind keeps the recorded name. */
function limitCell(r: LimitRow): string {
  const [, ...rest] = r.name.split(' ');
  const subject = rest.join(' ');
  switch (r.kind) {
    case 'sleeve_box':
      return 'sleeve box (meta_allocation)';
    case 'sleeve':
      return 'sleeve bounds';
    case 'group':
      return `group ${code(subject)}`;
    case 'exposure':
      return r.name.startsWith('prefix ') ? `cap on prefix ${code(subject)}` : 'cap per symbol';
    case 'exposure_rest':
      return 'cap per symbol, every other symbol';
    default:
      return r.name;
  }
}

function membersCell(r: LimitRow): string {
  if (r.kind === 'exposure_rest')
    return `${r.members.length} symbols, the largest ${code(r.members[0] ?? 'n/a')}`;
  if (r.members.length === 0) return 'no symbol held';
  return r.members.map(code).join(' + ');
}

function rangeCell(r: LimitRow): string {
  return ABSOLUTE_KINDS.has(r.kind) ? `|net| ≤ ${pct(r.max)}` : `[${pct(r.min)}, ${pct(r.max)}]`;
}

export function limitsRows(section: LimitsSection): string[][] {
  return section.rows.map((r) => [
    levelCell(r),
    limitCell(r),
    membersCell(r),
    rangeCell(r),
    pct(r.value),
    r.binding ? '**binds**' : 'no',
  ]);
}

export function limitsBlock(section: LimitsSection): string {
  const binding = section.rows.filter((r) => r.binding).length;
  const head =
    `Every limit of every level: the sleeve box of \`meta_allocation\` and a sleeve's own bounds (its ` +
    `weight in its level), group limits (the summed weight of the sleeves carrying the tag) and exposure ` +
    `caps (the net weight of a physical asset in the level's flattened portfolio; one row per symbol or ` +
    `prefix with a cap of its own and per symbol some sleeve could push over the default cap, the ` +
    `largest of the other held symbols in one row), with the value the ` +
    `final weights reach. A limit binds when that value is within ${section.tolerance.toExponential(0)} ` +
    `of a bound: ${binding} of ${section.rows.length} bind.`;
  const missing =
    section.omitted.length === 0
      ? ''
      : `\n\nNot shown (file missing): ${section.omitted.map(code).join(', ')}.`;
  const body = table(
    ['Level', 'Limit', 'Applies to', 'Limit value', 'Achieved', 'Binds'],
    limitsRows(section),
    [L, L, L, R, R, L],
  );
  return `${head}${missing}\n\n${body}`;
}
