/**
 * A params file (`quant stage run --params-file`): strict UTF-8 JSON, one object, with the line of each
 * key so that a params error points into the file.
 */
import { readFile } from 'node:fs/promises';
import { QuantError, environmentError, isQuantError } from '../errors.js';
import { decodeInputText } from '../artifacts/index.js';
import { parseJsonWithLocations } from '../manifest/index.js';

/** A params file read: its path, the object, and where each key stands. */
export interface ParamsFile {
  readonly path: string;
  readonly value: Record<string, unknown>;
  lineOf(key: string): number;
}

/** Read a params file: `E_INPUT_NOT_FOUND`, `E_INPUT_FORMAT` located in the file. */
export async function readParamsFile(path: string): Promise<ParamsFile> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      throw environmentError(error, `read the params file ${path}`) ?? error;
    throw new QuantError('E_INPUT_NOT_FOUND', `params file ${path} does not exist`, {
      location: { file: path },
    });
  }
  const text = decodeInputText(path, bytes);
  let doc;
  try {
    doc = parseJsonWithLocations(text, path);
  } catch (error) {
    if (!isQuantError(error)) throw error;
    throw new QuantError('E_INPUT_FORMAT', `params file ${error.message}`, {
      ...(error.location === undefined ? {} : { location: error.location }),
      hint: 'write {"key": value, ...}',
    });
  }
  const value = doc.value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new QuantError('E_INPUT_FORMAT', `params file ${path} is not a JSON object`, {
      location: { file: path, line: 1 },
      hint: 'write {"key": value, ...}',
    });
  }
  return { path, value: value as Record<string, unknown>, lineOf: (key) => doc.lineOf([key], 'key').line };
}
