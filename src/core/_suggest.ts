/** Levenshtein distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] as number;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] as number;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      prev[j] = Math.min(up + 1, (prev[j - 1] as number) + 1, diag + cost);
      diag = up;
    }
  }
  return prev[b.length] as number;
}

/** Up to `limit` candidates closest to `input`: prefix/substring matches first, then by edit distance. */
export function closestMatches(input: string, candidates: readonly string[], limit = 3): string[] {
  const needle = input.toLowerCase();
  const scored = candidates.map((c) => {
    const hay = c.toLowerCase();
    const contains = hay.includes(needle) || needle.includes(hay);
    const d = editDistance(needle, hay);
    return { c, score: contains ? d / 4 : d };
  });
  const maxDistance = Math.max(3, Math.ceil(needle.length / 2));
  return scored
    .filter((s) => s.score <= maxDistance)
    .sort((x, y) => x.score - y.score || (x.c < y.c ? -1 : 1))
    .slice(0, limit)
    .map((s) => s.c);
}
