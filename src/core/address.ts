/**
 * `quant://` addresses: one string that names a stage with its params, an artifact of a run, or a
 * generated document. Pure parsing and formatting; the CLI and the MCP server resolve what they name.
 *
 * - `quant://<stage id>?k=v&k2=v2` — a stage; the query pairs are `--param` pairs (same coercion).
 * - `quant://runs/<run_id>/<path inside the run>` — an artifact; no path names the run itself.
 * - `quant://docs/<name>` — a generated document (`stages.md`).
 *
 * Keys, values and path segments are percent-decoded. `+` stays a literal plus (RFC 3986, not HTML
 * forms), so values such as `2024-01-01T00:00+01:00` survive unencoded.
 */
import { QuantError } from '../errors.js';

const ADDRESS_SCHEME = 'quant://';

/** What a `quant://` address names. */
export type QuantAddress =
  | {
      readonly kind: 'stage';
      readonly stageId: string;
      /** Decoded `key=value` pairs in address order (repeated keys extend list params). */
      readonly pairs: readonly (readonly [string, string])[];
    }
  | {
      readonly kind: 'artifact';
      readonly runId: string;
      /** Decoded path inside the run folder, `/`-separated; `''` names the run folder itself. */
      readonly path: string;
    }
  | { readonly kind: 'doc'; readonly name: string };

/** Whether `text` is meant as an address (starts with the `quant:` scheme, any case). */
export function isQuantAddress(text: string): boolean {
  return /^quant:/i.test(text);
}

function addressError(
  address: string,
  offset: number,
  part: string,
  reason: string,
  hint?: string,
): QuantError {
  return new QuantError(
    'E_ADDRESS',
    `malformed address ${JSON.stringify(address)}: ${reason} at character ${offset + 1} (${JSON.stringify(part)})`,
    {
      hint:
        hint ??
        'write quant://<stage id>?key=value&key=value or quant://runs/<run_id>/<path>; percent-encode reserved characters',
      details: { address, part, offset },
    },
  );
}

// decodeURIComponent, with an error that names the bad escape rather than the whole string.
function decode(address: string, offset: number, raw: string, what: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    const bad = /%(?![0-9A-Fa-f]{2})/.exec(raw);
    if (bad !== null) {
      return fail(
        address,
        offset + bad.index,
        raw.slice(bad.index, bad.index + 3),
        `bad percent-encoding in ${what}`,
      );
    }
    return fail(address, offset, raw, `percent-encoding of ${what} is not valid UTF-8`);
  }
}

function fail(address: string, offset: number, part: string, reason: string, hint?: string): never {
  throw addressError(address, offset, part, reason, hint);
}

function parseQuery(address: string, query: string, start: number): [string, string][] {
  const pairs: [string, string][] = [];
  if (query === '') return pairs;
  let offset = start;
  for (const segment of query.split('&')) {
    if (segment === '') {
      const at = address[offset] === '&' ? offset : offset - 1;
      fail(address, at, '&', 'empty parameter (two "&" in a row, or a leading or trailing "&")');
    }
    const eq = segment.indexOf('=');
    if (eq < 0) {
      fail(address, offset, segment, `parameter "${segment}" has no value`, `write ${segment}=<value>`);
    }
    if (eq === 0) fail(address, offset, segment, 'empty parameter name');
    const key = decode(address, offset, segment.slice(0, eq), 'a parameter name');
    const value = decode(address, offset + eq + 1, segment.slice(eq + 1), `the value of "${key}"`);
    pairs.push([key, value]);
    offset += segment.length + 1;
  }
  return pairs;
}

// Path segments are decoded one by one, so an encoded "/" (%2F) or ".." cannot smuggle in structure.
function parseSegments(address: string, text: string, start: number, what: string): string[] {
  const raw = text.split('/');
  if (raw.length > 1 && raw[raw.length - 1] === '') raw.pop();
  const out: string[] = [];
  let offset = start;
  for (const segment of raw) {
    if (segment === '') fail(address, offset, '/', `empty segment in ${what} ("//")`);
    const decoded = decode(address, offset, segment, what);
    if (decoded === '.' || decoded === '..') {
      fail(
        address,
        offset,
        segment,
        `"${decoded}" is not allowed in ${what}`,
        'name the file from the run folder down',
      );
    }
    if (/[/\\\0]/.test(decoded)) {
      fail(address, offset, segment, `an encoded "/", "\\" or NUL is not allowed in ${what}`);
    }
    out.push(decoded);
    offset += segment.length + 1;
  }
  return out;
}

/**
 * Parse a `quant://` address. Every malformation is `E_ADDRESS` naming the offending part and its
 * position (`details.part`, `details.offset`). Stage ids and run ids are checked for shape only: the
 * registry (`E_UNKNOWN_STAGE`) and the run folder (`E_RUN_ID`) judge them.
 */
export function parseQuantAddress(address: string): QuantAddress {
  if (!address.toLowerCase().startsWith(ADDRESS_SCHEME)) {
    if (isQuantAddress(address)) fail(address, 6, address.slice(6, 8), 'expected "//" after "quant:"');
    const colon = address.indexOf(':');
    fail(address, 0, colon < 0 ? address : address.slice(0, colon + 1), 'not a quant:// address');
  }
  const start = ADDRESS_SCHEME.length;
  const hash = address.indexOf('#');
  if (hash >= 0) fail(address, hash, address.slice(hash), 'fragments ("#...") are not supported');
  const q = address.indexOf('?');
  const target = q < 0 ? address.slice(start) : address.slice(start, q);
  const query = q < 0 ? undefined : address.slice(q + 1);
  if (target === '') fail(address, start, '', 'missing stage id or runs/<run_id>');

  const [head] = target.split('/') as [string];
  if (head === 'runs' || head === 'docs') {
    if (query !== undefined) fail(address, q, address.slice(q), `a ${head}/ address takes no query`);
    const tail = target.slice(head.length + 1);
    if (tail === '') {
      fail(
        address,
        start,
        target,
        head === 'runs' ? 'missing run id' : 'missing document name',
        head === 'runs' ? 'write quant://runs/<run_id>/<path>' : 'write quant://docs/stages.md',
      );
    }
    const segments = parseSegments(address, tail, start + head.length + 1, 'the path');
    if (head === 'docs') {
      if (segments.length !== 1) fail(address, start, target, 'expected quant://docs/<name>');
      return { kind: 'doc', name: segments[0] as string };
    }
    const [runId, ...rest] = segments as [string, ...string[]];
    return { kind: 'artifact', runId, path: rest.join('/') };
  }
  const slash = target.indexOf('/');
  if (slash >= 0) {
    fail(
      address,
      start + slash,
      target.slice(slash),
      'a stage address has no path',
      'parameters go after "?": quant://portfolio.optimize?method=hrp',
    );
  }
  const stageId = decode(address, start, target, 'the stage id');
  if (!/^[^\s/\\\0]+$/.test(stageId))
    fail(address, start, target, 'the stage id contains whitespace or a separator');
  return { kind: 'stage', stageId, pairs: parseQuery(address, query ?? '', q + 1) };
}

/**
 * A stage id, alias or stage address → the stage id and the address's param pairs (none for a plain
 * id). An artifact or doc address is `E_ADDRESS`.
 */
export function parseStageRef(idOrAddress: string): {
  readonly stageId: string;
  readonly pairs: readonly (readonly [string, string])[];
} {
  if (!isQuantAddress(idOrAddress)) return { stageId: idOrAddress, pairs: [] };
  const parsed = parseQuantAddress(idOrAddress);
  if (parsed.kind !== 'stage') {
    throw new QuantError(
      'E_ADDRESS',
      `${idOrAddress} names ${parsed.kind === 'artifact' ? 'an artifact' : 'a document'}, not a stage`,
      {
        hint: 'read it with `quant runs show <address>`; a stage address is quant://<stage id>?key=value',
        details: {
          address: idOrAddress,
          part: idOrAddress.slice(ADDRESS_SCHEME.length),
          offset: ADDRESS_SCHEME.length,
        },
      },
    );
  }
  return { stageId: parsed.stageId, pairs: parsed.pairs };
}

// encodeURIComponent, keeping the characters RFC 3986 allows unencoded in paths and queries and that
// read better raw (lists "a,b", times "10:00", ids "x@y").
function encode(text: string): string {
  return encodeURIComponent(text).replace(/%(2C|3A|40)/gi, (m) => decodeURIComponent(m));
}

/** `quant://runs/<run_id>/<path>` with every segment encoded; `path` is `/`-separated. */
export function formatArtifactAddress(runId: string, path = ''): string {
  const tail = path === '' ? '' : `/${path.split('/').map(encode).join('/')}`;
  return `${ADDRESS_SCHEME}runs/${encode(runId)}${tail}`;
}

/** `quant://<stage id>?k=v&...`; {@link parseQuantAddress} gives back the id and the pairs. */
export function formatStageAddress(
  stageId: string,
  pairs: readonly (readonly [string, string])[] = [],
): string {
  const query = pairs.map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&');
  return `${ADDRESS_SCHEME}${encode(stageId)}${query === '' ? '' : `?${query}`}`;
}
