// `quant serve`: what the CLI command loads (on demand, so other commands never load Hono).
export { startServer } from './server.js';
export { isLoopbackHost } from './request-guard.js';
