import type { CommandRegistrar } from '../../index.ts';
import { parseOutputFormat, printData } from '../../output.ts';
import { VERSION } from '../../../version.ts';

export const versionCommand: CommandRegistrar = (y, deps, done) =>
  y.command(
    'version',
    'Print the version of hcp-dr',
    (c) => c,
    async (args) => {
      const format = parseOutputFormat(args.output as string | undefined);
      const info = { version: VERSION, node: process.versions.node, platform: `${process.platform}/${process.arch}` };
      await printData(deps.stdout, format, info, () => `hcp-dr ${info.version} (node ${info.node}, ${info.platform})\n`);
      done(0);
    },
  );
