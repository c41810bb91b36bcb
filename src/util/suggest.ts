// "Did you mean" suggestions for unknown ids and names, shared by every layer. Imports nothing.
/** Levenshtein distance between two strings (case-sensitive). */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      next.push(
        Math.min((prev[j] as number) + 1, (next[j - 1] as number) + 1, (prev[j - 1] as number) + cost),
      );
    }
    prev = next;
  }
  return prev[b.length] as number;
}

/** A name without case and separators: `min_variance`, `Min-Variance` and `minvariance` are one. */
const flat = (s: string): string => s.toLowerCase().replace(/[\s_.-]+/g, '');
const segments = (s: string): string[] =>
  s
    .toLowerCase()
    .split(/[\s_.-]+/)
    .filter((x) => x !== '');

/**
 * `input` abbreviates `name`: without separators it begins it (`minvar`), or each of its parts begins
 * the part of `name` in its place (`inv-var`).
 */
function abbreviates(input: string, name: string): boolean {
  const short = flat(input);
  if (short.length < 3) return false;
  if (flat(name).startsWith(short)) return true;
  const a = segments(input);
  const b = segments(name);
  return a.length >= 2 && a.length === b.length && a.every((x, i) => (b[i] as string).startsWith(x));
}

/**
 * Up to `limit` candidates a user probably meant by `input`: substring matches and abbreviations (the
 * input, separators left out, begins the candidate: `minvar` for `min_variance`; also after a `no_` or
 * `no-` that a command-line flag would have) rank first, then small
 * edit distances (at most a third of the longer name, at least 2), ties broken alphabetically.
 */
export function closestMatches(input: string, candidates: readonly string[], limit = 3): string[] {
  const needle = input.toLowerCase();
  return candidates
    .map((c) => {
      const hay = c.toLowerCase();
      const d = editDistance(needle, hay);
      const contains =
        (Math.min(needle.length, hay.length) >= 3 && (hay.includes(needle) || needle.includes(hay))) ||
        abbreviates(input, c) ||
        // `no_cache` / `no-cache`, as a command-line flag would say it, for the option `cache`.
        (/^no[_-]/i.test(input) && abbreviates(input.slice(3), c));
      return {
        c,
        score: contains ? d / 4 : d,
        limit: Math.max(2, Math.floor(Math.max(needle.length, hay.length) / 3)),
      };
    })
    .filter((s) => s.c !== input && s.score <= s.limit)
    .sort((x, y) => x.score - y.score || (x.c < y.c ? -1 : x.c > y.c ? 1 : 0))
    .slice(0, limit)
    .map((s) => s.c);
}

/** ` (did you mean "a" or "b"?)`, or the empty string when nothing is close. */
export function didYouMean(input: string, candidates: readonly string[]): string {
  const close = closestMatches(input, candidates);
  if (close.length === 0) return '';
  return ` (did you mean ${close.map((c) => `"${c}"`).join(' or ')}?)`;
}
