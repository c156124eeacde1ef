/** `mmcheck explore`: serve a configuration's state space on 127.0.0.1, to walk in a web browser. */
import { Command } from 'commander';
import { UsageError } from '../model.js';
import { DEFAULT_PORT, Explorer, serveExplorer } from '../view/explore.js';
import { addModelOptions, buildModel, type ModelOpts } from './check.js';
import { failUsage, intArg } from './common.js';
import { io } from './io.js';

export function exploreCommand(): Command {
  const cmd = new Command('explore').description(
    'walk the state space of a configuration (the same flags as check) in a web browser: serves a page on 127.0.0.1 only',
  );
  addModelOptions(cmd)
    .option('--port <n>', `TCP port on 127.0.0.1 (0: any free port, printed)`, intArg(0, 65535), DEFAULT_PORT)
    .action(async (o: ModelOpts & { port: number }) => {
      const { model, config } = buildModel(o);
      const ex = new Explorer(model, config);
      let served;
      try {
        served = await serveExplorer(ex, o.port);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
        return failUsage(new UsageError(`cannot listen on 127.0.0.1:${o.port}: ${code}${code === 'EADDRINUSE' ? ' (--port 0 takes any free port)' : ''}`));
      }
      io.out(`mmcheck explore: ${model.id}${typeof model.summary.era === 'string' ? ` era ${model.summary.era}` : ''} at ${served.url} (this machine only; Ctrl-C stops it)\n`);
      const stop = () => {
        served.server.close();
        served.server.closeAllConnections();
        process.exit(0);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
  return cmd;
}
