/**
 * `validate -f <file>`: offline admission checks against the HyperShift CRDs (schema and
 * CEL rules, transition rules with --old or --against-cluster). This module is the definition
 * only; the handler (validate-run.ts) is imported when the command runs, so `--help` stays cheap.
 */
import type { CommandRegistrar } from '../../index.ts';

export const validateCommand: CommandRegistrar = (y, deps, done) =>
  y.command(
    'validate',
    'Check manifests offline against the HyperShift CRDs (OpenAPI schema and CEL rules), as kube-apiserver does at admission',
    (c) =>
      c
        .option('filename', {
          alias: 'f',
          type: 'string',
          demandOption: true,
          describe: 'Manifests to check (YAML or JSON, several documents); - for stdin',
        })
        .option('old', { type: 'string', describe: 'The stored objects, to check the input as an update (transition rules, immutability)' })
        .option('crd', {
          type: 'string',
          describe: 'CRD file or directory (e.g. saved "oc get crd -o yaml" output); default: the cluster\'s',
        })
        .option('against-cluster', { type: 'boolean', describe: 'Check as an update of the live objects (read from the cluster)' })
        .example('$0 validate -f restore.yaml --crd crds/', 'Check rendered manifests with saved CRDs')
        .example('$0 validate -f hc.yaml --old hc-live.yaml --crd crds/', 'Check an edit as an update (e.g. immutable fields)')
        .example('$0 validate -f hc.yaml --against-cluster', "Check against the live objects and the cluster's CRDs"),
    async (args) => {
      const { validate } = await import('./validate-run.ts');
      done(await validate(args, deps));
    },
  );
