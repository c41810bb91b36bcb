// The cache store (cache-store.ts): names confined to the run folder, a lookup that proves the files it
// returns against the hashes the caller's check gives (absent / rejected with a reason / found), a store
// that keeps an existing entry unless asked to replace a damaged one, and a sweep that removes only the
// temp folders of dead writers of this host.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  cacheFileNameProblem,
  cacheTempName,
  lookupCacheEntry,
  sweepCacheTemps,
  writeCacheEntry,
  type CacheMetaCheck,
} from '../../../src/artifacts/index.js';
import { tempDir } from './_temp.js';

const KEY = 'a'.repeat(64);
const sha = (text: string): string => createHash('sha256').update(text).digest('hex');

/** A check that accepts `{files: {name: sha256}}` as the files the entry must hold. */
function check(value: unknown): CacheMetaCheck<{ files: Record<string, string> }> {
  const meta = value as { files?: Record<string, string> };
  if (typeof meta.files !== 'object' || meta.files === null) return { ok: false, reason: 'no files' };
  return {
    ok: true,
    meta: { files: meta.files },
    files: new Map(Object.entries(meta.files)),
    recordedBy: 'its list',
  };
}

async function storedEntry(ws: string, files: Record<string, string>): Promise<string> {
  const sources = new Map<string, string>();
  const hashes: Record<string, string> = {};
  for (const [rel, text] of Object.entries(files)) {
    const src = join(ws, `src-${rel.replaceAll('/', '_')}`);
    writeFileSync(src, text);
    sources.set(rel, src);
    hashes[rel] = sha(text);
  }
  await writeCacheEntry(ws, 'meta', KEY, sources, { files: hashes });
  return join(ws, '.cache', 'meta', KEY);
}

describe('cache entry names', () => {
  test('plain relative names inside the run folder are accepted', () => {
    for (const ok of ['data/x.json', 'config/resolved_manifest.json', 'reports/a-b_c.1.md', 'x'])
      assert.equal(cacheFileNameProblem(ok), undefined, ok);
  });

  test('.., absolute paths, hidden and run-state names, odd characters are refused, saying why', () => {
    const refused: [string, RegExp][] = [
      ['../x', /leaves the run folder/],
      ['data/../../x', /leaves the run folder/],
      ['/etc/passwd', /absolute path/],
      ['C:/x', /absolute path/],
      ['\\\\host\\share', /absolute path/],
      ['.lock', /not a plain name/],
      ['data/.x.json.1.abc.tmp', /not a plain name/],
      ['data//x', /not a plain name/],
      ['data\\x', /not a plain name/],
      ['a\u001b[2Jb', /not a plain name/],
      ['run.json', /run state/],
      ['data/audit.jsonl', /run state/],
      ['', /empty/],
      [Array.from({ length: 17 }, () => 'd').join('/'), /nested more than 16/],
    ];
    for (const [name, re] of refused) assert.match(cacheFileNameProblem(name) ?? '', re, name);
  });
});

describe('lookup and store', () => {
  test('an entry written is found with its verified bytes; no key is absent', async () => {
    const ws = tempDir();
    await storedEntry(ws, { 'data/a.json': '{"a":1}\n', 'b.txt': 'b' });
    const found = await lookupCacheEntry(ws, 'meta', KEY, check);
    assert.equal(found.kind, 'found', JSON.stringify(found));
    if (found.kind !== 'found') return;
    assert.equal(found.entry, `.cache/meta/${KEY}`, 'the entry is named workspace-relative');
    assert.equal(found.files.get('data/a.json')?.toString(), '{"a":1}\n', 'the bytes');
    assert.deepEqual([...found.files.keys()], ['data/a.json', 'b.txt'], 'in the order the check gave');
    const absent = await lookupCacheEntry(ws, 'meta', 'b'.repeat(64), check);
    assert.deepEqual(absent, { kind: 'absent' }, 'no entry');
  });

  test('a hundred files in nested folders are stored side by side; one missing source fails the store and leaves nothing behind', async () => {
    const ws = tempDir();
    const files: Record<string, string> = {};
    for (let i = 0; i < 100; i++) files[`data/${i % 7}/f${i}.json`] = `{"i":${i}}\n`;
    await storedEntry(ws, files);
    const found = await lookupCacheEntry(ws, 'meta', KEY, check);
    assert.equal(found.kind, 'found', JSON.stringify(found).slice(0, 200));
    if (found.kind !== 'found') return;
    for (const [rel, text] of Object.entries(files))
      assert.equal(found.files.get(rel)?.toString(), text, `${rel}: the bytes`);

    const other = tempDir();
    const sources = new Map<string, string>();
    for (let i = 0; i < 60; i++) {
      const src = join(other, `src-${i}`);
      if (i !== 37) writeFileSync(src, `${i}`);
      sources.set(`data/f${i}.txt`, src);
    }
    await assert.rejects(
      writeCacheEntry(other, 'meta', KEY, sources, { files: {} }),
      (error: Error & { code?: string }) => {
        assert.match(
          error.message,
          /^cannot store the cache entry \.cache\/meta\/a{64}: /,
          'names the entry',
        );
        return true;
      },
      'the store fails',
    );
    assert.deepEqual(readdirSync(join(other, '.cache', 'meta')), [], 'no entry and no temp folder remain');
  });

  test('a .cache that is a file is absent at lookup, and a coded ENOTDIR at store', async () => {
    const ws = tempDir();
    writeFileSync(join(ws, '.cache'), 'x');
    assert.deepEqual(await lookupCacheEntry(ws, 'meta', KEY, check), { kind: 'absent' }, 'absent');
    await assert.rejects(
      storedEntry(ws, { 'a.json': '{}' }),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, 'E_WORKSPACE_IO', error.message);
        assert.equal(
          error.message,
          `cannot store the cache entry .cache/meta/${KEY}: .cache is a file, not a folder (ENOTDIR)`,
          'the entry and the file in the way, workspace-relative',
        );
        return true;
      },
      'the store fails with a coded error',
    );
  });

  test('the check decides: its problem, a hash other than the stored bytes, a missing or extra file', async () => {
    const cases: [string, (entry: string) => void, RegExp][] = [
      ['check', (e) => writeFileSync(join(e, 'entry.json'), '{"list":1}'), /^no files$/],
      [
        'hash',
        (e) => writeFileSync(join(e, 'files', 'data', 'a.json'), '{"a":2}\n'),
        /does not match the SHA-256 its list records/,
      ],
      [
        'missing',
        (e) =>
          writeFileSync(
            join(e, 'entry.json'),
            JSON.stringify({ files: { 'data/a.json': sha('{"a":1}\n'), 'c.txt': sha('c') } }),
          ),
        /files\/c\.txt is missing \(its list records it\)/,
      ],
      [
        'extra',
        (e) => writeFileSync(join(e, 'files', 'data', 'z.json'), '{}'),
        /files\/data\/z\.json is not a file its list records \(an extra file\)/,
      ],
      [
        'link',
        (e) => symlinkSync('/etc/hostname', join(e, 'files', 'data', 'l.json')),
        /files\/data\/l\.json is a symbolic link \(never followed\)/,
      ],
      [
        'name',
        (e) => writeFileSync(join(e, 'entry.json'), JSON.stringify({ files: { '../x': sha('x') } })),
        /"\.\.\/x" leaves the run folder/,
      ],
    ];
    for (const [what, tamper, re] of cases) {
      const ws = tempDir();
      const entry = await storedEntry(ws, { 'data/a.json': '{"a":1}\n' });
      tamper(entry);
      const r = await lookupCacheEntry(ws, 'meta', KEY, check);
      assert.equal(r.kind, 'rejected', `${what}: ${JSON.stringify(r)}`);
      if (r.kind === 'rejected') assert.match(r.reason, re, what);
    }
  });

  test('an existing entry is kept, unless the caller replaces a damaged one', async () => {
    const ws = tempDir();
    const entry = await storedEntry(ws, { 'a.json': 'one' });
    const src = join(ws, 'two');
    writeFileSync(src, 'two');
    await writeCacheEntry(ws, 'meta', KEY, new Map([['a.json', src]]), { files: { 'a.json': sha('two') } });
    assert.equal(readFileSync(join(entry, 'files', 'a.json'), 'utf8'), 'one', 'kept');
    await writeCacheEntry(
      ws,
      'meta',
      KEY,
      new Map([['a.json', src]]),
      { files: { 'a.json': sha('two') } },
      { replace: true },
    );
    assert.equal(readFileSync(join(entry, 'files', 'a.json'), 'utf8'), 'two', 'replaced');
    assert.deepEqual(readdirSync(join(ws, '.cache', 'meta')), [KEY], 'no temp folder left');
  });

  test('a name that leaves the run folder is never stored', async () => {
    const ws = tempDir();
    writeFileSync(join(ws, 'x'), 'x');
    await assert.rejects(
      writeCacheEntry(ws, 'meta', KEY, new Map([['../x', join(ws, 'x')]]), {}),
      /refused to store "\.\.\/x" leaves the run folder/,
      'a name outside the run folder is refused',
    );
    const meta = join(ws, '.cache', 'meta');
    assert.deepEqual(existsSync(meta) ? readdirSync(meta) : [], [], 'nothing stored, no temp left');
  });
});

describe('stale temp folders', () => {
  test('only the temp folders of dead writers of this host go', async () => {
    const ws = tempDir();
    const dir = join(ws, '.cache', 'meta');
    mkdirSync(dir, { recursive: true });
    const exited = spawnSync(process.execPath, ['-e', '0']).pid;
    assert.ok(exited !== undefined && exited > 0, 'a pid of a process that has exited');
    const dead = cacheTempName(exited);
    const live = cacheTempName(process.pid);
    // This process's pid with another start time: the pid was reused by another process.
    const reused = live.replace(/^(\.tmp-[0-9a-f]{8}-\d+-)\d+-/, '$11-');
    const oldDead = `.tmp-${exited}-0123456789ab`;
    const foreign = `.tmp-${live.slice(5, 13) === 'ffffffff' ? 'eeeeeeee' : 'ffffffff'}-${exited}-1-0123456789ab`;
    const kept = [live, foreign, '.tmp-notours', KEY];
    for (const name of [dead, reused, oldDead, ...kept]) mkdirSync(join(dir, name));
    writeFileSync(join(dir, dead, 'entry.json'), '{}');
    const removed = await sweepCacheTemps(ws, 'meta');
    assert.deepEqual(removed.sort(), [dead, reused, oldDead].sort(), 'the dead, the reused and the old');
    assert.deepEqual(readdirSync(dir).sort(), kept.sort(), 'live, foreign and other names stay');
    assert.equal(existsSync(join(ws, '.cache', 'meta', dead)), false, 'removed with its content');
  });

  test('nothing outside .cache/<namespace> is swept', async () => {
    const ws = tempDir();
    const exited = spawnSync(process.execPath, ['-e', '0']).pid as number;
    const name = cacheTempName(exited);
    mkdirSync(join(ws, '.cache', name), { recursive: true });
    mkdirSync(join(ws, name));
    assert.deepEqual(await sweepCacheTemps(ws, 'meta'), [], 'no .cache/meta: nothing');
    assert.ok(existsSync(join(ws, '.cache', name)) && existsSync(join(ws, name)), 'both stay');
  });
});
