/**
 * Kubernetes CEL format library: format.<name>() returns a format whose validate(string)
 * yields optional.none() when valid, or optional.of(list of error strings) otherwise
 * (registered as format_<name> — see cel-rewrite.ts).
 */
import { Optional } from '@marcbachmann/cel-js';
import type { Environment } from '@marcbachmann/cel-js';
import { checkFormat } from './formats.ts';

export class KubeFormat {
  readonly name: string;
  readonly check: (s: string) => string[];
  constructor(name: string, check: (s: string) => string[]) {
    this.name = name;
    this.check = check;
  }
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function rx(re: RegExp, max: number, what: string): (s: string) => string[] {
  return (s) => {
    const errs: string[] = [];
    if (s.length > max) errs.push(`must be no more than ${max} characters`);
    if (!re.test(s)) errs.push(`a ${what} must match the regex ${re.source}`);
    return errs;
  };
}

function qualifiedName(s: string): string[] {
  const parts = s.split('/');
  const name = parts.length === 2 ? (parts[1] ?? '') : s;
  const errs: string[] = [];
  if (parts.length > 2)
    return ["a qualified name must consist of alphanumeric characters, '-', '_' or '.', with an optional DNS subdomain prefix and '/'"];
  if (parts.length === 2) errs.push(...rx(DNS1123_SUBDOMAIN, 253, 'DNS-1123 subdomain')(parts[0] ?? '').map((e) => `prefix part ${e}`));
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push('name part must be no more than 63 characters');
  if (name.length > 0 && !QUALIFIED_NAME_PART.test(name))
    errs.push("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character");
  return errs;
}

const prefix =
  (f: (s: string) => string[]) =>
  (s: string): string[] =>
    f(s.endsWith('-') ? `${s}a` : s);
const fromFormat =
  (name: string) =>
  (s: string): string[] =>
    checkFormat(name, s) === false ? [`does not match the ${name} format`] : [];

const FORMATS: Record<string, (s: string) => string[]> = {
  dns1123Label: rx(DNS1123_LABEL, 63, 'lowercase RFC 1123 label'),
  dns1123Subdomain: rx(DNS1123_SUBDOMAIN, 253, 'lowercase RFC 1123 subdomain'),
  dns1035Label: rx(DNS1035_LABEL, 63, 'DNS-1035 label'),
  qualifiedName,
  labelValue: rx(LABEL_VALUE, 63, 'valid label'),
  uri: fromFormat('uri'),
  uuid: fromFormat('uuid'),
  byte: fromFormat('byte'),
  date: fromFormat('date'),
  datetime: fromFormat('date-time'),
};
FORMATS['dns1123LabelPrefix'] = prefix(FORMATS['dns1123Label'] as (s: string) => string[]);
FORMATS['dns1123SubdomainPrefix'] = prefix(FORMATS['dns1123Subdomain'] as (s: string) => string[]);
FORMATS['dns1035LabelPrefix'] = prefix(FORMATS['dns1035Label'] as (s: string) => string[]);

export function registerFormatLibrary(env: Environment): void {
  env.registerType('kubernetes.NamedFormat', KubeFormat);
  for (const [name, check] of Object.entries(FORMATS)) {
    env.registerFunction(`format_${name}(): kubernetes.NamedFormat`, () => new KubeFormat(name, check));
  }
  env.registerFunction('format_named(string): optional<kubernetes.NamedFormat>', (name: string) => {
    const check = FORMATS[name];
    return check ? Optional.of(new KubeFormat(name, check)) : Optional.none();
  });
  env.registerFunction('kubernetes.NamedFormat.validate(string): optional<list<string>>', (f: KubeFormat, s: string) => {
    const errs = f.check(s);
    return errs.length === 0 ? Optional.none() : Optional.of(errs);
  });
}
