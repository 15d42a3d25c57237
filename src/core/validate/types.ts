/**
 * Shared types of the offline CRD validator. The validator mirrors what kube-apiserver's
 * apiextensions-apiserver does at admission for a custom resource: prune unknown fields,
 * apply defaults, run the structural OpenAPI v3 checks, then the CEL
 * `x-kubernetes-validations` rules. Inputs are plain parsed JSON/YAML values; nothing here
 * touches the file system, the process or the network.
 */

/** The subset of apiextensions.k8s.io/v1 JSONSchemaProps the validator understands. */
export interface Schema {
  type?: string;
  format?: string;
  description?: string;
  nullable?: boolean;
  default?: unknown;
  enum?: unknown[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  multipleOf?: number;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  maxProperties?: number;
  required?: string[];
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  allOf?: Schema[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  not?: Schema;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  'x-kubernetes-validations'?: ValidationRule[];
}

export interface ValidationRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
  fieldPath?: string;
  optionalOldSelf?: boolean;
}

/**
 * Error types as kube's field.ErrorType renders them. 'Unknown field' is only used for
 * warnings (the server prunes unknown fields; it never rejects them at admission).
 */
export type FieldErrorType =
  | 'Required value'
  | 'Invalid value'
  | 'Unsupported value'
  | 'Forbidden'
  | 'Duplicate value'
  | 'Too many'
  | 'Too long'
  | 'Internal error'
  | 'Unknown field';

export interface FieldError {
  /** kube field path, e.g. `spec.services[0].service`, `metadata.labels[foo]`; '' for the root. */
  path: string;
  type: FieldErrorType;
  /** The detail text (what follows the value in kube's rendering). */
  message: string;
  /** The value kube prints after the type (`Invalid value: "array": ...`); absent when omitted. */
  value?: unknown;
}

export interface ValidationResult {
  /** Violations the real server would report (admission would fail if non-empty). */
  errors: FieldError[];
  /**
   * CEL rules (or regex patterns) this validator could not compile or evaluate, with the
   * reason. They are neither passes nor failures: the caller must treat them as unknown.
   */
  notEvaluated: FieldError[];
  /** Non-fatal findings, e.g. unknown fields the server would prune. */
  warnings: FieldError[];
  /** False when no CRD in the registry serves the object's apiVersion and kind. */
  crdFound: boolean;
  /** The object after pruning and defaulting, as the server would persist it (when crdFound). */
  defaulted?: unknown;
}

export interface ValidateOptions {
  /** The stored object, for updates: enables transition rules (`oldSelf`) and ratcheting. */
  old?: object;
  /**
   * CRD validation ratcheting (kube >= 1.30 default): on update, errors on values that are
   * unchanged from the old object are dropped. Default true.
   */
  ratcheting?: boolean;
}

/** One served version of a CRD, keyed by group/version + kind. */
export interface CrdVersionEntry {
  group: string;
  version: string;
  kind: string;
  plural: string;
  crdName: string;
  scope: string;
  schema: Schema;
}

export interface CrdRegistry {
  /** Keyed by `${apiVersion}/${kind}` where apiVersion is `group/version`. */
  readonly entries: ReadonlyMap<string, CrdVersionEntry>;
}

export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
