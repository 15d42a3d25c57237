import { describe, expect, it } from 'vitest';
import { Re2TranslationError, re2ToRegExp } from '../../../src/core/validate/re2.ts';
import { formatErrors, formatFieldError } from '../../../src/core/validate/index.ts';
import { joinFieldPath } from '../../../src/core/validate/cel-validate.ts';
import { rewriteRule } from '../../../src/core/validate/cel-rewrite.ts';

describe('RE2 → RegExp', () => {
  it.each([
    ['^a.b$', 'a\rb', true],
    ['^a.b$', 'a\nb', false],
    ['^\\s$', '\u00a0', false],
    ['(?i)^abc$', 'ABC', true],
    ['^[[:alpha:]]+\\z', 'abC', true],
    ['\\Qa.b\\E', 'axb', false],
    ['^[a-z0-9-\\p{L}]+$', 'ü-1', true],
    ["^[\\-'.]+$", "-'.", true],
    ['^\\pL$', 'é', true],
    ['(?P<x>a)b', 'ab', true],
    ['^.$', '😀', true],
  ])('%s on %j → %s', (p, s, want) => {
    expect(re2ToRegExp(p).test(s)).toBe(want);
  });

  it('rejects constructs without a faithful translation', () => {
    expect(() => re2ToRegExp('(?U)a+')).toThrow(Re2TranslationError);
    expect(() => re2ToRegExp('a\\C')).toThrow(Re2TranslationError);
  });
});

describe('error formatting', () => {
  it('renders field errors like kube', () => {
    expect(formatFieldError({ path: 'spec.x', type: 'Too many', value: 3, message: 'must have at most 1 item' })).toBe(
      'spec.x: Too many: 3: must have at most 1 item',
    );
    expect(formatFieldError({ path: '', type: 'Invalid value', value: 'object', message: 'm' })).toBe('<nil>: Invalid value: "object": m');
    expect(formatFieldError({ path: 'spec.y', type: 'Required value', message: '' })).toBe('spec.y: Required value');
  });

  it('wraps one or many errors in the Status message', () => {
    const e = { path: 'spec.a', type: 'Invalid value' as const, value: 'array', message: 'restoreSnapshotURL is immutable' };
    expect(formatErrors('HostedCluster.hypershift.openshift.io', 'demo', [e])).toBe(
      'HostedCluster.hypershift.openshift.io "demo" is invalid: spec.a: Invalid value: "array": restoreSnapshotURL is immutable',
    );
    expect(formatErrors('K.g', 'n', [e, e])).toMatch(/^K\.g "n" is invalid: \[spec\.a: .*, spec\.a: .*\]$/);
    expect(formatErrors('K.g', 'n', [])).toBe('');
  });

  it('joins rule fieldPaths', () => {
    expect(joinFieldPath('spec', ".a['b.c'][2]")).toBe('spec.a.b.c[2]');
  });
});

describe('CEL rule rewriting', () => {
  it('rewrites matches and namespaces outside string literals only, detects oldSelf', () => {
    const r = rewriteRule("self.matches('x.matches(y)') && sets.contains(self, ['oldSelf'])");
    expect(r.source).toBe("self.re2Matches('x.matches(y)') && sets_contains(self, ['oldSelf'])");
    expect(r.usesOldSelf).toBe(false);
    expect(rewriteRule('has(oldSelf.a)').usesOldSelf).toBe(true);
    expect(rewriteRule('self.oldSelf == 1').usesOldSelf).toBe(false);
  });
});
