import { resolve } from 'node:path';
import { Command, InvalidArgumentError } from '@commander-js/extra-typings';
import { assertWorkspaceFolder, type CliContext } from '../context.js';

const DEFAULT_PORT = 8787;

const portNumber = (value: string): number => {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n > 65535) throw new InvalidArgumentError('expected a port 0-65535');
  return n;
};

/**
 * `quant serve`: the web workbench on `http://<host>:<port>/`, until SIGINT or SIGTERM. Prints one line
 * with the URL and its per-process token on stdout; diagnostics go to stderr.
 */
export function serveCommand(ctx: CliContext): Command {
  return new Command('serve')
    .description('browse, compare and launch the runs of the workspace in a web browser (local web server)')
    .option('--port <n>', `port (0: any free port; default ${DEFAULT_PORT})`, portNumber, DEFAULT_PORT)
    .option('--host <address>', 'address to listen on (default 127.0.0.1: this machine only)', '127.0.0.1')
    .option('--read-only', 'browse only: refuse to launch runs')
    .action(async (opts) => {
      await assertWorkspaceFolder(ctx);
      // The server stays inside its workspace, like the MCP server, so the manifest must lie there too.
      const manifest =
        ctx.globals.manifest === undefined
          ? undefined
          : await (
              await import('../../sdk/workspace-runs.js')
            ).resolveInside(ctx.workspace, resolve(ctx.cwd, ctx.globals.manifest));
      const { startServer, isLoopbackHost } = await import('../../serve/index.js');
      const server = await startServer({
        workspace: ctx.workspace,
        ...(manifest === undefined ? {} : { manifest }),
        env: ctx.env,
        registry: () => ctx.registry(),
        host: opts.host,
        port: opts.port,
        readOnly: opts.readOnly === true,
        log: (line) => ctx.io.err(line),
      });
      if (!isLoopbackHost(opts.host))
        ctx.warn(
          `quant serve listens on ${opts.host}: other machines can reach it (the token still guards the API)`,
        );
      ctx.io.out(`quant serve: ${server.url}${opts.readOnly === true ? ' (read-only)' : ''}`);
      await new Promise<void>((stop) => {
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await server.close();
    });
}
