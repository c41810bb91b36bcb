/**
 * Reading a run's `config/resolved_manifest.json` back: its shape is checked before the tree is resolved
 * from it, so that a damaged file (or a sleeve run's own resolved manifest) is `E_RUN_CORRUPT` naming the
 * file and the member, never a TypeError from deep inside the tree resolution.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { QuantError, isQuantError } from '../../errors.js';
import { assertConfined } from '../../artifacts/index.js';
import { resolveMetaTree, type Manifest, type MetaNode } from '../../manifest/index.js';
import { RESOLVED_MANIFEST, type ResolvedManifestDoc } from './_artifact-types.js';

function corrupt(runId: string, what: string, malformed = true): QuantError {
  const is = malformed ? `is malformed: ${what}` : what;
  return new QuantError('E_RUN_CORRUPT', `${RESOLVED_MANIFEST} of run ${runId} ${is}`, {
    location: { file: `runs/${runId}/${RESOLVED_MANIFEST}` },
    hint: 'run the meta pipeline again into a new run id (quant meta run), or delete the file to resolve the sleeves again',
  });
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringArray = (v: unknown): boolean => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** Check the members the meta stages read; `E_RUN_CORRUPT` names the first one that is wrong. */
function parseResolvedManifest(value: unknown, runId: string): ResolvedManifestDoc {
  if (!isObject(value)) throw corrupt(runId, 'not a JSON object');
  const found = (key: string): string => JSON.stringify(value[key]) ?? 'nothing';
  const profiles = value['profiles'];
  if (typeof value['root'] !== 'string' || value['root'] === '')
    throw corrupt(runId, `"root" must be the run's meta profile, found ${found('root')}`);
  if (!isObject(profiles)) throw corrupt(runId, `"profiles" must be an object, found ${found('profiles')}`);
  if (!isObject(profiles[value['root']]))
    throw corrupt(runId, `"profiles" has no profile ${JSON.stringify(value['root'])} (the root)`);
  if (!isStringArray(value['risk_profiles']))
    throw corrupt(runId, `"risk_profiles" must be an array of strings, found ${found('risk_profiles')}`);
  const sleeves = value['sleeves'];
  if (!Array.isArray(sleeves)) throw corrupt(runId, `"sleeves" must be an array, found ${found('sleeves')}`);
  for (const [i, s] of sleeves.entries()) {
    const ok =
      isObject(s) &&
      isStringArray(s['path']) &&
      typeof s['run_id'] === 'string' &&
      typeof s['profile'] === 'string';
    if (!ok) throw corrupt(runId, `"sleeves[${i}]" must have a path, a profile and a run_id`);
  }
  return value as unknown as ResolvedManifestDoc;
}

/** Read and check the file (`E_RUN_CORRUPT` for invalid JSON or a wrong shape). */
export async function readResolvedManifest(
  runDirectory: string,
  runId: string,
): Promise<ResolvedManifestDoc> {
  const file = join(runDirectory, RESOLVED_MANIFEST);
  await assertConfined(file, 'read');
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    if (isQuantError(error)) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== undefined) throw error;
    throw corrupt(runId, `is not valid JSON: ${(error as Error).message}`, false);
  }
  return parseResolvedManifest(value, runId);
}

/** The meta tree the file records; a profile the tree resolution cannot read is `E_RUN_CORRUPT`. */
export function resolvedTree(doc: ResolvedManifestDoc, runId: string): MetaNode {
  const manifest = { profiles: doc.profiles } as unknown as Manifest;
  try {
    return resolveMetaTree(manifest, doc.root, { file: RESOLVED_MANIFEST });
  } catch (error) {
    if (isQuantError(error)) throw error;
    throw corrupt(runId, `its profiles cannot be read as a meta tree (${(error as Error).message})`);
  }
}
