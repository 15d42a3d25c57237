/** Which Secrets and ConfigMaps a HostedCluster and its NodePools reference, and from which field. */
import { describe, expect, it } from 'vitest';
import { collectReferences } from '../../../src/core/controlplane/references.ts';
import type { KubeObject } from '../../../src/core/model.ts';

const hc: KubeObject = {
  apiVersion: 'hypershift.openshift.io/v1beta1',
  kind: 'HostedCluster',
  metadata: { name: 'demo', namespace: 'clusters' },
  spec: {
    pullSecret: { name: 'demo-pull-secret' },
    sshKey: { name: 'demo-ssh-key' },
    secretEncryption: { type: 'aescbc', aescbc: { activeKey: { name: 'demo-etcd-encryption-key' }, backupKey: { name: 'old-key' } } },
    additionalTrustBundle: { name: 'user-ca-bundle' },
    auditWebhook: { name: 'audit-webhook' },
    configuration: {
      apiServer: { servingCerts: { namedCertificates: [{ names: ['api.example.com'], servingCertificate: { name: 'api-cert' } }] } },
      proxy: { trustedCA: { name: 'proxy-ca' } },
      oauth: {
        identityProviders: [
          { name: 'sso', type: 'OpenID', openID: { clientID: 'x', clientSecret: { name: 'oidc-client' }, ca: { name: 'oidc-ca' } } },
          { name: 'ldap', type: 'LDAP', ldap: { bindPassword: { name: 'ldap-bind' }, ca: { name: 'ldap-ca' } } },
          { name: 'local', type: 'HTPasswd', htpasswd: { fileData: { name: 'htpass' } } },
        ],
        templates: { login: { name: 'login-template' } },
      },
    },
  },
};
const np: KubeObject = {
  apiVersion: 'hypershift.openshift.io/v1beta1',
  kind: 'NodePool',
  metadata: { name: 'workers', namespace: 'clusters' },
  spec: { clusterName: 'demo', config: [{ name: 'kubelet' }], tuningConfig: [{ name: 'tuned' }] },
};

describe('collectReferences', () => {
  it('finds every referenced Secret and ConfigMap, sorted, with the referencing field', () => {
    const refs = collectReferences(hc, [np]);
    expect(refs.map((r) => `${r.kind}/${r.name}`)).toEqual([
      'ConfigMap/kubelet',
      'ConfigMap/ldap-ca',
      'ConfigMap/oidc-ca',
      'ConfigMap/proxy-ca',
      'ConfigMap/tuned',
      'ConfigMap/user-ca-bundle',
      'Secret/api-cert',
      'Secret/audit-webhook',
      'Secret/demo-etcd-encryption-key',
      'Secret/demo-pull-secret',
      'Secret/demo-ssh-key',
      'Secret/htpass',
      'Secret/ldap-bind',
      'Secret/login-template',
      'Secret/oidc-client',
      'Secret/old-key',
    ]);
    expect(refs.find((r) => r.name === 'oidc-client')!.referencedBy).toEqual([
      'HostedCluster spec.configuration.oauth.identityProviders[0].openID.clientSecret',
    ]);
    expect(refs.find((r) => r.name === 'kubelet')!.referencedBy).toEqual(['NodePool workers spec.config[0]']);
  });
  it('a minimal HostedCluster references only its pull secret', () => {
    expect(collectReferences({ ...hc, spec: { pullSecret: { name: 'p' } } }, [])).toEqual([
      { kind: 'Secret', name: 'p', referencedBy: ['HostedCluster spec.pullSecret'] },
    ]);
  });
});
