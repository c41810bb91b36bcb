import { QuantError } from '../errors.js';

/**
 * Packages that only some features need. They are optional peer dependencies of the package, so a
 * plain `npm install metafolio` (the optimizers, stages, SDK and CLI) does not pull them in; the
 * feature that needs one loads it on first use and, when it is absent, says what to install.
 * The versions are the ones the package is tested with (package.json `peerDependencies`; a unit test
 * keeps the two equal).
 */
export const OPTIONAL_FEATURES = {
  queue: {
    what: 'the distributed queue (--executor bullmq, quant worker)',
    packages: { bullmq: '6.7.0', ioredis: '6.0.0' },
  },
  mcp: {
    what: 'the MCP server (quant mcp)',
    packages: { '@modelcontextprotocol/sdk': '1.32.2' },
  },
} as const;

export type OptionalFeature = keyof typeof OPTIONAL_FEATURES;

/**
 * The package a failed import names, when the failure is "module not found" for one of `packages`: an
 * `import()` ("Cannot find package 'bullmq' imported from /…/queue-executor.js") or, in the CLI bundle
 * where the optional peers are `require`s, a `require` ("Cannot find module '@modelcontextprotocol/sdk/
 * types.js'", code MODULE_NOT_FOUND).
 */
function missingPackage(error: unknown, packages: readonly string[]): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return undefined;
  if (typeof message !== 'string') return undefined;
  const named = /^Cannot find (?:package|module) '([^']+)'/.exec(message)?.[1];
  if (named === undefined) return undefined;
  return packages.find((name) => named === name || named.startsWith(`${name}/`));
}

/**
 * Run `load` (a dynamic import of the module that needs the feature's packages); when one of them is
 * not installed, throw `E_MISSING_DEPENDENCY` naming the feature and the exact install command.
 * Other failures propagate unchanged.
 */
export async function loadOptional<T>(feature: OptionalFeature, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const { what, packages } = OPTIONAL_FEATURES[feature];
    const names = Object.keys(packages);
    const missing = missingPackage(error, names);
    if (missing === undefined) throw error;
    const install = Object.entries(packages)
      .map(([name, version]) => `${name}@${version}`)
      .join(' ');
    throw new QuantError(
      'E_MISSING_DEPENDENCY',
      `${what} needs the package ${missing}, which is not installed`,
      {
        hint: `install it next to metafolio: npm install ${install}`,
        details: { feature, package: missing },
      },
    );
  }
}
