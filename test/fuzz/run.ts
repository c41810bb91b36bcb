// `npm run fuzz`: fuzz every reader of user files for longer than the test suite does.
//   node --import tsx test/fuzz/run.ts [--seconds N] [--seed S] [--target csv|parquet|manifest|weights|ledger ...]
//   node --import tsx test/fuzz/run.ts --replay <target>:<seed>:<input number> > input.bin
// --seconds is the time per target (default 60). Prints inputs per second, the error codes seen and every
// failure with its input as base64; exits 1 on a failure. Same seed, same inputs: --replay writes one.
import { parseArgs } from 'node:util';
import { fuzz, formatFailures } from './_engine.js';
import { TARGETS, fuzzInputs, targetByName } from './_targets.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    seed: { type: 'string', default: String(Date.now() % 1_000_000) },
    target: { type: 'string', multiple: true },
    replay: { type: 'string' },
  },
});
if (values.replay !== undefined) {
  const [name = '', seedText = '', index = ''] = values.replay.split(':');
  const inputs = fuzzInputs(targetByName(name), Number(seedText));
  for (let i = 0; i < Number(index); i++) inputs.next();
  process.stdout.write(inputs.next().value as Uint8Array);
  process.exit(0);
}
const seconds = Number(values.seconds);
const seed = Number(values.seed);
const names = values.target ?? TARGETS.map((t) => t.name);
let failed = false;
for (const name of names) {
  const report = await fuzz(name, { seconds, seed });
  const rate = Math.round(report.iterations / seconds);
  const codes = Object.entries(report.codes)
    .sort((a, b) => b[1] - a[1])
    .map(([c, n]) => `${c} ${n}`)
    .join(', ');
  process.stdout.write(
    `${name}: ${report.iterations} inputs (${rate}/s, seed ${seed}), ${report.accepted} accepted; ${codes}\n`,
  );
  if (report.failures.length > 0) {
    failed = true;
    process.stdout.write(`${formatFailures(report)}\n`);
  }
}
process.exit(failed ? 1 : 0);
