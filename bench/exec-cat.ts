/**
 * The baseline's first half: streams a file out of a pod through hcp-dr's exec path (the same
 * WebSocket client the plugin uses) to stdout, for `| curl -T -`. Usage: exec-cat.ts <kubeconfig> <namespace> <pod> <path>
 */
import { connectKube } from '../src/kube/session.ts';
import { streamSnapshot } from '../src/core/etcd/pod-snapshot.ts';

const [kubeconfig, namespace, pod, file] = process.argv.slice(2) as [string, string, string, string];
const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined };
const session = await connectKube({ kubeconfig }, quiet);
await streamSnapshot({ exec: session.exec, namespace, pod }, file, process.stdout);
process.exit(0);
