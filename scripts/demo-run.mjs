// The README's main job (`npm start`) as arguments of `quant`: the demo's meta run, its sleeves produced
// first. `npm start` runs it (start.mjs), the build trains the CLI's code caches on it (build-cli.mjs) and
// the benchmark times it (bench/optimizers.bench.ts).

/** `quant` arguments of the demo's meta run on the workspace `workspace`. */
export function demoRunArgs(workspace) {
  return ['meta', 'run', '--profile', 'meta_global', '--execute-sleeves', '--workspace', workspace];
}
