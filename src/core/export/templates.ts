/**
 * Templates embedded as text so the single binary needs no files beside it. GENERATED from
 * templates/*.yaml, which stay the source of truth; test/unit/export/templates.test.ts fails
 * when the two disagree. Regenerate: node test/unit/export/gen-templates.ts
 */

export const ARGOCD_APPLICATION_TEMPLATE: string =
  '# Argo CD Application for one exported hosted cluster (written by `hcp-dr export --argocd-app`).\n# Placeholders in double braces are replaced with YAML-quoted values. The tree itself carries\n# sync waves (namespace -3, secrets -2, control plane -1, HostedCluster 0, NodePools 1).\napiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: "{{appName}}"\n  namespace: argocd\n  finalizers:\n  - resources-finalizer.argocd.argoproj.io\nspec:\n  project: default\n  source:\n    repoURL: "{{repoURL}}"\n    targetRevision: HEAD\n    path: "{{path}}"\n  destination:\n    server: https://kubernetes.default.svc\n  # pausedUntil is operational (backups and moves set it for minutes); never drift.\n  ignoreDifferences:\n  - group: hypershift.openshift.io\n    kind: HostedCluster\n    jsonPointers:\n    - /spec/pausedUntil\n  - group: hypershift.openshift.io\n    kind: NodePool\n    jsonPointers:\n    - /spec/pausedUntil\n  syncPolicy:\n    syncOptions:\n    - RespectIgnoreDifferences=true\n    - PruneLast=true\n';
