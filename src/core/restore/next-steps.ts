/** What the user still has to do after a verified restore, by platform (hypershift-domain.md §1.14, §2.10). */
export function nextSteps(platform: string, namespace: string, name: string, sameManagementCluster: boolean | undefined): string[] {
  const steps: string[] = [];
  switch (platform) {
    case 'AWS':
      steps.push(
        `AWS: re-publish the OIDC documents and IAM provider from the restored sa-signing-key: hypershift fix dr-oidc-iam --hc-name ${name} --hc-namespace ${namespace} --aws-creds <file>`,
      );
      steps.push('AWS: nodes are not re-adopted; the NodePools provision new machines');
      break;
    case 'Agent':
      steps.push(
        'Agent: the InfraEnv and its Agents must survive (keep them outside the control-plane namespace, never delete them); agents are re-adopted on OCP 4.19+ / MCE 2.9+, otherwise reprovisioned',
      );
      break;
    case 'KubeVirt':
    case 'Azure':
      steps.push(`${platform}: nodes are not re-adopted; the NodePools provision new machines`);
      break;
    default:
      steps.push(`${platform || 'this platform'}: check the NodePools; nodes may need to be reprovisioned`);
  }
  steps.push(
    `wait for the HostedCluster condition HostedClusterRestoredFromBackup (the operator removes hypershift.openshift.io/restored-from-backup when its recovery is finished): kubectl get hostedcluster ${name} -n ${namespace} -o yaml`,
  );
  if (sameManagementCluster !== true) {
    steps.push(
      'on another management cluster: make sure the source hosted cluster is paused or torn down, and restart the OVN pods inside the hosted cluster (kubectl delete pods -n openshift-ovn-kubernetes --all) so they reconnect',
    );
  }
  return steps;
}
