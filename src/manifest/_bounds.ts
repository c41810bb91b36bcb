export type BoundsIssue = { code: 'custom'; path: (string | number)[]; message: string };

/** Problems with `[min, max]` bounds on the weights of `n` items (DESIGN §3: infeasible is an error). */
export function boundsProblems(n: number, unit: string, min: unknown, max: unknown): BoundsIssue[] {
  const lo = typeof min === 'number' ? min : 0;
  const hi = typeof max === 'number' ? max : 1;
  const out: BoundsIssue[] = [];
  const eps = 1e-12;
  const show = (x: number): string => String(Number(x.toPrecision(12)));
  const items = `${n} ${n === 1 ? unit : `${unit}s`}`;
  if (lo > hi) {
    out.push({
      code: 'custom',
      path: ['min_weight'],
      message: `min_weight ${show(lo)} is greater than max_weight ${show(hi)}: lower min_weight or raise max_weight`,
    });
    return out;
  }
  if (n * lo > 1 + eps) {
    const limit = Math.floor((1 / n) * 1e4) / 1e4;
    out.push({
      code: 'custom',
      path: ['min_weight'],
      message: `infeasible bounds: ${items} × min_weight ${show(lo)} = ${show(n * lo)} > 1; set min_weight to at most ${show(limit)} (1/${n})`,
    });
  }
  if (n * hi < 1 - eps) {
    const limit = Math.ceil((1 / n) * 1e4) / 1e4;
    out.push({
      code: 'custom',
      path: ['max_weight'],
      message: `infeasible bounds: ${items} × max_weight ${show(hi)} = ${show(n * hi)} < 1; set max_weight to at least ${show(limit)} (1/${n})`,
    });
  }
  return out;
}
