// The Node a developer needs to run the tests: `npm test` passes --test-force-exit (Node 20.14), and the
// tests run the sources through tsx, whose loader registers with module.register (Node 20.6). The
// package itself accepts Node >=20 (package.json engines); this floor is for development only.

/** The oldest Node that runs the test suite. */
export const DEV_NODE_FLOOR = '20.14.0';

/** [major, minor, patch] of a version string such as `v20.5.1` or `20.14.0`; undefined if it is none. */
function parts(version) {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version);
  return m === null ? undefined : [Number(m[1]), Number(m[2]), Number(m[3])];
}

/**
 * One line saying that Node `found` is older than `floor` (what it needs and what it found), or
 * undefined when `found` is at least `floor`.
 */
export function nodeFloorProblem(found, floor = DEV_NODE_FLOOR, what = 'the tests') {
  const have = parts(found);
  const need = parts(floor);
  if (need === undefined) throw new Error(`node-floor: ${floor} is not a version`);
  if (have !== undefined) {
    const i = [0, 1, 2].find((k) => have[k] !== need[k]);
    if (i === undefined || have[i] > need[i]) return undefined;
  }
  return `${what} need Node ${floor} or newer (--test-force-exit, module.register); this is Node ${found.replace(/^v/, '')}`;
}
