/** The vocabulary of `export`: what a source yields, what the user asked for, what is written. */
import type { KubeObject } from '../model.ts';
import type { ObjectRef } from '../controlplane/references.ts';

export type SecretsMode = 'omit' | 'sealed' | 'external' | 'plain';

/** Where the objects came from, recorded in provenance.yaml (never secret values). */
export interface ExportOrigin {
  source: 'live' | 'backup';
  /** "context X (https://...)" or the backup's s3:// URL. */
  location: string;
  backupId: string | null;
  backupCreatedAt: string | null;
  etcdRevision: number | null;
  snapshotSha256: string | null;
}

/** A referenced object the source could not provide, with why it is needed. */
export interface MissingRef extends ObjectRef {
  namespace: string;
}

/** What a source yields: raw objects as the API (or the backup) holds them. */
export interface ExportInput {
  origin: ExportOrigin;
  namespace: KubeObject;
  hostedCluster: KubeObject;
  nodePools: KubeObject[];
  /** Secrets and ConfigMaps of the HostedCluster namespace that are referenced. */
  references: KubeObject[];
  /** Why each reference is exported (from collectReferences). */
  refs: ObjectRef[];
  /** Referenced objects the source does not hold. */
  missing: MissingRef[];
  /** Control-plane namespace objects (with --with-control-plane), its Namespace first when known. */
  controlPlane: KubeObject[];
  warnings: string[];
}

export interface SealedOptions {
  /** PEM text of the sealed-secrets controller certificate (or its RSA public key). */
  certPem: string;
}

export interface ExternalOptions {
  store: string;
  storeKind: 'SecretStore' | 'ClusterSecretStore';
}

export interface ExportOptions {
  secrets: SecretsMode;
  sealed?: SealedOptions;
  external?: ExternalOptions;
  keepRestoreUrl: boolean;
  /** Recorded in provenance.yaml; the source decides what the control plane holds. */
  withControlPlane: boolean;
  /** Repository URL for an Argo CD Application; none written when unset. */
  argocdRepoUrl?: string;
  /** Path of the cluster directory inside that repository (default `<namespace>/<name>`). */
  argocdPath?: string;
  toolVersion: string;
}

/** One file of the tree, relative to the export root (`<namespace>/<name>/...`). */
export interface TreeFile {
  path: string;
  content: string;
  /** 0o600 for files holding Secret data in plain; 0o644 otherwise. */
  mode: number;
}

export interface ExportTree {
  /** `<namespace>/<name>`: the cluster directory relative to the export root. */
  clusterDir: string;
  files: TreeFile[];
  /** The Kubernetes objects of the tree in kustomization order (for --stdout). */
  objects: KubeObject[];
  warnings: string[];
}
