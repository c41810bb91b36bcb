// The property files whose case count npm test cuts to a quarter (test/helpers/property-runs.ts), with
// every case (npm run test:slow). ES modules run in import order: _full-runs.js sets the switch first.
import './_full-runs.js';
import './cluster.property.test.js';
import './inner-join.property.test.js';
import './methods.property.test.js';
import './optimizers.property.test.js';
import './public-surface.contract.test.js';
import './semidefinite.property.test.js';
