/**
 * The environment a function reads its settings from: `process.env` by default, or any plain record of
 * names to values. A plain type rather than Node's process environment type, so the package's
 * declarations compile in a project without `@types/node`.
 */
export type Env = Readonly<Record<string, string | undefined>>;
