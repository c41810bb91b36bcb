// The MCP request guard refuses a `__proto__` key anywhere in a request's params (-32602, E_PARAMS with
// its JSON path): JSON.parse keeps it as an own member, which the SDK's schemas would drop silently, so a
// stage would run without a param the client sent. Other keys pass, and deep nesting does not overflow.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeMessage } from '../../../src/mcp/request-guard.js';

const call = (args: string): unknown =>
  JSON.parse(
    `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"run_stage","arguments":${args}}}`,
  );

test('a __proto__ key in the params is refused with its path; ordinary params are forwarded', () => {
  const state = { initialized: true };
  const refused = judgeMessage(
    call('{"stage":"portfolio.optimize","params":{"input":"p.csv","__proto__":{"method":"min_variance"}}}'),
    state,
  );
  assert.equal(refused.action, 'reply', 'answered by the guard, not forwarded');
  const response = (refused as { response: { id: unknown; error: { code: number; message: string } } })
    .response;
  assert.equal(response.id, 7, 'with the request id');
  assert.equal(response.error.code, -32602, 'invalid params');
  assert.match(
    response.error.message,
    /^E_PARAMS: invalid tools\/call request: params\.arguments\.params\.__proto__: "__proto__" cannot be a key/,
    'coded, naming the path',
  );
  const ok = judgeMessage(call('{"stage":"portfolio.optimize","params":{"input":"p.csv","proto":1}}'), state);
  assert.equal(ok.action, 'forward', 'other keys pass');
  const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
  assert.equal(
    judgeMessage(call(`{"stage":"x","params":{"a":${deep}}}`), state).action,
    'forward',
    'deep nesting is walked without recursion',
  );
});
