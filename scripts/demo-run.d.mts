/** `quant` arguments of the demo's meta run on the workspace `workspace` (scripts/demo-run.mjs). */
export function demoRunArgs(workspace: string): string[];
