/** `mmcheck list`: the catalogues a user picks from. */
import { Command } from 'commander';
import { UsageError } from '../model.js';
import { modelEntries, modelEntry, type CatalogRow } from '../../models/registry.js';
import { buildModel, DEFAULT_MODEL } from './check.js';
import { failUsage, listArg } from './common.js';
import { io } from './io.js';

const KINDS = ['models', 'eras', 'ops', 'properties', 'predicates', 'profiles'];

export function listCommand(): Command {
  return new Command('list')
    .description(`list ${KINDS.join('|')}`)
    .argument('<what>', KINDS.join('|'))
    .option('--model <id>', 'model whose catalogue to list', DEFAULT_MODEL)
    .option('--era <id>', 'era whose properties to list')
    .option('--profile <name>', 'world whose properties to list (thp: full, thp-core, shmem)')
    .option('--ops <list>', 'operations whose properties to list (e.g. kvm adds ept-coherence)', listArg)
    .option('--json', 'print JSON')
    .action((what: string, o: { model: string; era?: string; profile?: string; ops?: string[]; json?: boolean }) => {
      if (!KINDS.includes(what)) failUsage(new UsageError(`cannot list '${what}' (choose one of ${KINDS.join(', ')})`));
      let rows: CatalogRow[];
      if (what === 'models') rows = modelEntries().map((e) => ({ name: e.id, description: e.description }));
      else if (what === 'properties') {
        const { model } = buildModel({ model: o.model, era: o.era, profile: o.profile, ops: o.ops });
        rows = model.properties.map((p) => ({ name: p.name, description: `[${p.kind}] ${p.description}` }));
      } else {
        let entry;
        try {
          entry = modelEntry(o.model);
        } catch (e) {
          return failUsage(e);
        }
        const got = entry.catalog?.(what);
        if (!got) failUsage(new UsageError(`model '${o.model}' has no ${what}`));
        rows = got;
      }
      if (o.json) {
        io.out(JSON.stringify(rows, null, 2) + '\n');
        return;
      }
      const w = Math.max(4, ...rows.map((r) => r.name.length));
      for (const r of rows) io.out(`${r.name.padEnd(w)}  ${r.description}\n`);
    });
}
