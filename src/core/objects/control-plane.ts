/**
 * The objects of a control-plane namespace that `export --with-control-plane` and a move carry
 * (hypershift-domain §2.7): the HostedControlPlane, CAPI and platform objects, read through KubeApi.
 */
import { NotFoundError } from '../errors.ts';
import type { KubeObject } from '../model.ts';
import type { KubeApi } from '../ports.ts';
import { CONTROL_PLANE_KINDS } from './kinds.ts';

/** The HostedControlPlane, CAPI and platform objects of a control-plane namespace (CONTROL_PLANE_KINDS), with apiVersion and kind. */
export async function listControlPlaneObjects(api: KubeApi, cpNamespace: string): Promise<KubeObject[]> {
  const lists = await Promise.all(
    CONTROL_PLANE_KINDS.map(async (kind) => {
      try {
        return (await api.list(kind, cpNamespace)).map((o) => withTypeMeta(o, kind.group, kind.version, kind.kind));
      } catch (err) {
        // A platform without this CRD (e.g. not AWS) answers 404 for the whole type.
        if (err instanceof NotFoundError) return [];
        throw err;
      }
    }),
  );
  return lists.flat();
}

/** List items may come without apiVersion/kind (the API omits them inside a List). */
function withTypeMeta(obj: KubeObject, group: string, version: string, kind: string): KubeObject {
  if (obj.apiVersion && obj.kind) return obj;
  return { ...obj, apiVersion: group ? `${group}/${version}` : version, kind };
}
