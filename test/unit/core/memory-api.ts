/** The in-memory KubeApi under its old name, for the move tests that still import it; new tests use test/support/fakes/kube.ts. */
export { FakeKube as MemoryApi } from '../../support/fakes/kube.ts';
