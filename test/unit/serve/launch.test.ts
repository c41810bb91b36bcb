// Launching runs from the API: POST /api/launch starts `meta run` in-process, GET .../events streams the
// same progress lines the CLI prints as Server-Sent Events through to `done`, and the new run is listed.
// Bad requests are coded (E_PARAMS), and a failing run ends its stream with a coded `error` event.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type {
  LaunchEvent,
  LaunchesResponse,
  LaunchResponse,
  RunsResponse,
} from '../../../src/serve/api-types.js';
import { buildServeFixture, expectError, get, ORIGIN, post, type ServeFixture } from './_serve-fixture.js';

let f: ServeFixture;
before(async () => {
  f = await buildServeFixture();
});

/** Parse a whole `text/event-stream` body into its events (event name = the JSON's type). */
function parseSse(text: string): LaunchEvent[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const lines = block.split('\n');
      const name = lines.find((l) => l.startsWith('event: '))?.slice(7);
      const data = lines.find((l) => l.startsWith('data: '))?.slice(6) ?? '{}';
      const event = JSON.parse(data) as LaunchEvent;
      assert.equal(name, event.type, `the SSE event name is the event's type: ${block}`);
      return event;
    });
}

async function launch(body: unknown): Promise<LaunchEvent[]> {
  const res = await post(f.app, '/api/launch', body);
  const text = await res.text();
  assert.equal(res.status, 201, `a launch answers 201: ${text}`);
  const { launch_id, events } = JSON.parse(text) as LaunchResponse;
  assert.equal(events, `/api/launch/${launch_id}/events`, 'the events URL of the launch');
  const stream = await get(f.app, events);
  assert.equal(stream.status, 200, 'the events stream opens');
  assert.match(stream.headers.get('content-type') ?? '', /^text\/event-stream/, 'as Server-Sent Events');
  // The stream ends after `done` or `error`: reading it whole is the signal that the launch finished.
  return parseSse(await stream.text());
}

describe('POST /api/launch', () => {
  test('a meta run streams its progress through to done, and the new run is listed', async () => {
    const events = await launch({
      kind: 'meta',
      profile: 'small',
      options: { run_id: 'launched', cache: false },
    });
    assert.deepEqual(events[0], { type: 'started', kind: 'meta', profile: 'small' }, 'first: started');
    const progress = events
      .filter((e) => e.type === 'progress')
      .map((e) => (e.type === 'progress' ? e.message : ''));
    assert.ok(
      progress.includes('meta.returns: small hrp'),
      `the CLI's progress lines: ${progress.join(' | ')}`,
    );
    assert.ok(
      progress.some((m) => m.startsWith('meta.report:')),
      'through to the report',
    );
    assert.deepEqual(
      events[events.length - 1],
      { type: 'done', run_id: 'launched' },
      'last: done with the run id',
    );
    const { runs } = (await (await get(f.app, '/api/runs')).json()) as RunsResponse;
    const row = runs.find((r) => r.run_id === 'launched');
    assert.equal(row?.status, 'success', 'the launched run is listed as a success');
    const latest = runs.filter((r) => r.profile === 'small' && r.latest).map((r) => r.run_id);
    assert.equal(latest.length, 1, `one latest run of profile small: ${latest.join(', ')}`);
  });

  test('a late subscriber still gets every event from the start', async () => {
    const res = await post(f.app, '/api/launch', { kind: 'meta', profile: 'small' });
    const { events } = (await res.json()) as LaunchResponse;
    const first = parseSse(await (await get(f.app, events)).text());
    const again = parseSse(await (await get(f.app, events)).text());
    assert.deepEqual(again, first, 'a second subscription replays the same events');
    assert.equal(first[first.length - 1]?.type, 'done', 'the launch finished');
  });

  test('a reconnecting subscriber resumes after its Last-Event-ID; a bad one replays from the start', async () => {
    const res = await post(f.app, '/api/launch', {
      kind: 'meta',
      profile: 'small',
      options: { cache: false },
    });
    const { events } = (await res.json()) as LaunchResponse;
    const all = parseSse(await (await get(f.app, events)).text());
    assert.ok(all.length > 3, `the launch has several events: ${all.length}`);
    const resumed = await get(f.app, events, { 'Last-Event-ID': '1' });
    const text = await resumed.text();
    assert.deepEqual(parseSse(text), all.slice(2), 'after event 1 come events 2, 3, ... only');
    assert.match(text, /^id: 2$/m, `the first resumed event keeps its own id: ${text.slice(0, 200)}`);
    const last = String(all.length - 1);
    const none = parseSse(await (await get(f.app, events, { 'Last-Event-ID': last })).text());
    assert.deepEqual(none, [], 'a subscriber that has the last event gets nothing more');
    for (const bad of ['-1', 'abc', '1e1', '1.5', String(all.length), '99999999999999999999']) {
      const again = parseSse(await (await get(f.app, events, { 'Last-Event-ID': bad })).text());
      assert.deepEqual(again, all, `Last-Event-ID ${JSON.stringify(bad)} replays every event`);
    }
  });

  test('a run that fails ends the stream with a coded error event', async () => {
    const events = await launch({ kind: 'meta', profile: 'nope' });
    const last = events[events.length - 1];
    assert.equal(last?.type, 'error', `last: error (${JSON.stringify(events)})`);
    assert.equal(last.type === 'error' ? last.code : '', 'E_UNKNOWN_PROFILE', 'with the CLI code');
    const sleeve = await launch({ kind: 'sleeve', profile: 'nope' });
    assert.equal(sleeve[sleeve.length - 1]?.type, 'error', 'a sleeve launch fails the same way');
    const rerun = await launch({ kind: 'meta', profile: 'small', options: { run_id: 'meta_one' } });
    const exists = rerun[rerun.length - 1];
    assert.equal(
      exists?.type === 'error' ? exists.code : '',
      'E_RUN_EXISTS',
      'an existing run id is refused',
    );
  });

  test('malformed requests are 400 E_PARAMS', async () => {
    await expectError(await post(f.app, '/api/launch', 'not json'), 400, 'E_PARAMS');
    await expectError(await post(f.app, '/api/launch', { kind: 'stage', profile: 'x' }), 400, 'E_PARAMS');
    await expectError(await post(f.app, '/api/launch', { kind: 'meta' }), 400, 'E_PARAMS');
    const extra = await post(f.app, '/api/launch', {
      kind: 'meta',
      profile: 'small',
      options: { force: true },
    });
    await expectError(extra, 400, 'E_PARAMS');
    const sleeve = await post(f.app, '/api/launch', {
      kind: 'sleeve',
      profile: 's1',
      options: { cache: false },
    });
    const e = await expectError(sleeve, 400, 'E_PARAMS');
    assert.match(e.message, /cache/, 'names the option a sleeve launch does not take');
    const typo = await post(f.app, '/api/launch', {
      kind: 'meta',
      profile: 'small',
      options: { no_cach: true },
    });
    const t = await expectError(typo, 400, 'E_PARAMS');
    assert.match(t.message, /options\.no_cach: unknown parameter \(did you mean "cache"\?\)/, t.message);
    const top = await post(f.app, '/api/launch', { kind: 'meta', profil: 'small' });
    const u = await expectError(top, 400, 'E_PARAMS');
    assert.match(u.message, /profil: unknown parameter \(did you mean "profile"\?\)/, u.message);
  });
});

describe('GET /api/launches', () => {
  test('lists the launches of the server, newest first: kind, profile, run id, state, started', async () => {
    const res = await post(f.app, '/api/launch', {
      kind: 'meta',
      profile: 'small',
      options: { run_id: 'listed', cache: false },
    });
    const { launch_id, events } = (await res.json()) as LaunchResponse;
    const before = (await (await get(f.app, '/api/launches')).json()) as LaunchesResponse;
    const running = before.launches[0];
    assert.equal(running?.launch_id, launch_id, 'the newest launch comes first');
    assert.equal(running.state, 'running', 'listed as running before its stream is read');
    assert.equal(running.run_id, 'listed', 'with the run id it was asked for');
    assert.equal(running.events, events, 'and the events URL to re-attach to');
    assert.ok(!Number.isNaN(Date.parse(running.started)), `started is a timestamp: ${running.started}`);
    parseSse(await (await get(f.app, events)).text());
    const after = (await (await get(f.app, '/api/launches')).json()) as LaunchesResponse;
    const done = after.launches.find((l) => l.launch_id === launch_id);
    assert.deepEqual(
      done && { kind: done.kind, profile: done.profile, run_id: done.run_id, state: done.state },
      { kind: 'meta', profile: 'small', run_id: 'listed', state: 'done' },
      'once its stream ended the launch is done, with its run',
    );
    const failed = await post(f.app, '/api/launch', { kind: 'sleeve', profile: 'no\u200bpe' });
    const failedLaunch = (await failed.json()) as LaunchResponse;
    parseSse(await (await get(f.app, failedLaunch.events)).text());
    const last = (await (await get(f.app, '/api/launches')).json()) as LaunchesResponse;
    const row = last.launches[0];
    assert.equal(row?.launch_id, failedLaunch.launch_id, 'the newest first');
    assert.equal(row.state, 'failed', 'a launch that ended with an error is failed');
    assert.equal(row.profile, 'no\\u200bpe', 'a name is escaped as the pages show names');
    assert.equal(row.run_id, null, 'a launch without a run id has none');
  });

  test('needs the token', async () => {
    const res = await Promise.resolve(f.app.request(`${ORIGIN}/api/launches`));
    await expectError(res, 401, 'E_TOKEN');
  });
});
