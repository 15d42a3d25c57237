/** Builds a one-version CRD around a hand-written `spec` schema for unit tests. */
import { compileCrds, validateObject } from '../../../src/core/validate/index.ts';
import type { Schema, ValidateOptions, ValidationResult } from '../../../src/core/validate/index.ts';
import { formatFieldError } from '../../../src/core/validate/index.ts';

export function crdFor(spec: Schema, root: Partial<Schema> = {}): object {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.com' },
    spec: {
      group: 'example.com',
      names: { kind: 'Widget', plural: 'widgets' },
      scope: 'Namespaced',
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', properties: { spec }, ...root } },
        },
      ],
    },
  };
}

export function widget(spec: unknown): object {
  return { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec };
}

export function check(
  spec: Schema,
  value: unknown,
  options: ValidateOptions & { oldSpec?: unknown } = {},
): ValidationResult & { messages: string[] } {
  const registry = compileCrds([crdFor(spec)]);
  const opts: ValidateOptions = { ...options };
  if ('oldSpec' in options) opts.old = widget(options.oldSpec);
  const r = validateObject(registry, widget(value), opts);
  return { ...r, messages: r.errors.map(formatFieldError) };
}
