/** The oldest Node that runs the test suite (scripts/node-floor.mjs). */
export const DEV_NODE_FLOOR: string;
/** One line naming the Node needed and the one found when `found` is older than `floor`, else undefined. */
export function nodeFloorProblem(found: string, floor?: string, what?: string): string | undefined;
