import { resolve } from 'node:path';
import { Command } from '@commander-js/extra-typings';
import { resolveInside } from '../../sdk/workspace-runs.js';
import { loadOptional } from '../../sdk/optional-dependency.js';
import { assertWorkspaceFolder, type CliContext } from '../context.js';

/**
 * `quant mcp`: serve the workspace over stdio until the client closes stdin. stdout carries the protocol
 * only; diagnostics go to stderr.
 */
export function mcpCommand(ctx: CliContext): Command {
  return new Command('mcp')
    .description('serve the workspace to an MCP client (Model Context Protocol over stdio)')
    .action(async () => {
      await assertWorkspaceFolder(ctx);
      const registry = await ctx.registry();
      // The server promises to stay inside its workspace, so the manifest must lie there too.
      const manifest =
        ctx.globals.manifest === undefined
          ? undefined
          : await resolveInside(ctx.workspace, resolve(ctx.cwd, ctx.globals.manifest));
      // Loaded on demand: the MCP SDK is a large share of the CLI's start-up time for every other command.
      const [{ GuardedStdioTransport }, { createQuantMcpServer }] = await loadOptional('mcp', () =>
        Promise.all([import('../../mcp/stdio-transport.js'), import('../../mcp/server.js')]),
      );
      const server = createQuantMcpServer({
        workspace: ctx.workspace,
        registry,
        ...(manifest === undefined ? {} : { manifest }),
        env: ctx.env,
        log: (line) => ctx.io.err(line),
        verbose: ctx.globals.verbose,
      });
      // The transport closes when stdin ends and every request read has been answered.
      const closed = new Promise<void>((done) => {
        server.onclose = done;
      });
      const log = (line: string): void => ctx.io.err(line);
      await server.connect(new GuardedStdioTransport(process.stdin, process.stdout, { log }));
      ctx.io.err(`quant mcp: serving ${ctx.workspace} over stdio (${registry.stages.length} stages)`);
      await closed;
      await server.close();
    });
}
