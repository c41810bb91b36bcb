// A server keeps every running launch and the last 100 finished ones (with their events), the oldest
// finished dropped first; a dropped launch's id is E_NOT_FOUND whose hint says so. The launches here fail
// fast (an unknown profile in an empty workspace) and each is followed to its `error` event, so which
// finished first is known without any timing; one is held running by a registry that has not answered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Launches, KEPT_FINISHED_LAUNCHES } from '../../../src/serve/launches.js';
import type { Registry } from '../../../src/core/registry.js';
import type { LaunchEvent } from '../../../src/serve/api-types.js';
import { StageRegistry } from '../../../src/registry.js';
import { isQuantError } from '../../../src/errors.js';
import { tempDir } from '../artifacts/_temp.js';

const ws = tempDir('mf-serve-kept-');

test('every running launch and the last 100 finished are kept; an older one is E_NOT_FOUND saying so', async () => {
  let release: (registry: Registry) => void = () => undefined;
  const held = new Promise<Registry>((resolve) => {
    release = resolve;
  });
  let calls = 0;
  const launches = new Launches({
    workspace: ws,
    env: {},
    registry: () => (calls++ === 0 ? held : Promise.resolve(StageRegistry)),
    log: () => undefined,
  });
  const lastEvent = async (id: string): Promise<LaunchEvent | undefined> => {
    let last: LaunchEvent | undefined;
    await launches.follow(
      id,
      (event) => {
        last = event;
        return Promise.resolve();
      },
      new AbortController().signal,
    );
    return last;
  };
  const running = launches.start({ kind: 'meta', profile: 'nope' });
  const ids: string[] = [];
  for (let i = 0; i <= KEPT_FINISHED_LAUNCHES; i++) {
    const id = launches.start({ kind: 'meta', profile: 'nope' });
    assert.equal((await lastEvent(id))?.type, 'error', `launch ${i} fails fast with an error event`);
    ids.push(id);
  }
  assert.equal(KEPT_FINISHED_LAUNCHES, 100, 'the server keeps the last 100 finished launches');
  const listed = (): string[] => launches.list().map((l) => l.launch_id);
  assert.ok(listed().includes(running), 'the running launch is kept, however old');
  assert.deepEqual(
    listed().filter((id) => id !== running),
    ids.slice(1).reverse(),
    'the last 100 finished are kept, newest first; the oldest finished is dropped',
  );
  assert.throws(
    () => launches.require(ids[0] as string),
    (e: unknown) =>
      isQuantError(e) &&
      e.code === 'E_NOT_FOUND' &&
      /keeps every running launch and the last 100 finished launches/.test(e.hint ?? '') &&
      /Runs list/.test(e.hint ?? ''),
    'a dropped launch is E_NOT_FOUND whose hint says what the server keeps and where the run is',
  );
  // The held launch finishes last: the oldest finished one is dropped now, not the oldest started.
  release(StageRegistry);
  assert.equal((await lastEvent(running))?.type, 'error', 'the held launch ends with its error event');
  assert.ok(listed().includes(running), 'the launch that finished last is kept');
  assert.ok(!listed().includes(ids[1] as string), 'the oldest finished one is dropped');
  assert.equal(listed().length, KEPT_FINISHED_LAUNCHES, 'no more than 100 finished launches are kept');
});
