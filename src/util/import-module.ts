/**
 * `import(specifier)` of a module known only at run time (a job runner, a stage module), in one place:
 * the CLI bundle is a classic script loaded with V8's code cache, where a bare `import()` has no module
 * loader to call once its code came from the cache, so scripts/build-cli.mjs replaces this module there
 * by one that asks the bundle's loader (dist/cli/_load.js, a real module) to import.
 */
export function importModule(specifier: string): Promise<Record<string, unknown>> {
  return import(specifier) as Promise<Record<string, unknown>>;
}
