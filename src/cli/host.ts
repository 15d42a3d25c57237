/** How the plugin was invoked, so help and hints name the command the user typed. */
export type Host = 'kubectl' | 'oc';

/** `oc-hcp_dr` (or an explicit "oc") means oc; anything else means kubectl, the krew default. */
export function hostFromInvocation(invokedAs: string): Host {
  const base = invokedAs.split(/[\\/]/).pop() ?? '';
  return base === 'oc' || base.startsWith('oc-') ? 'oc' : 'kubectl';
}

export function commandName(host: Host): string {
  return `${host} hcp-dr`;
}
