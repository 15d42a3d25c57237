/** Thrown by library functions for runtime errors the real kube CEL library also raises. */
export class KubeCelError extends Error {}
