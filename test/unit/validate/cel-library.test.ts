import { describe, expect, it } from 'vitest';
import type { Schema } from '../../../src/core/validate/index.ts';
import { check } from './helpers.ts';

/** Evaluate `rule` with self bound to the string `value`; returns true (pass) / false / 'not evaluated'. */
function run(rule: string, value: unknown, type = 'string', format?: string): boolean | string {
  const p: Schema = { type, 'x-kubernetes-validations': [{ rule }] };
  if (format !== undefined) p.format = format;
  if (type === 'array') p.items = { type: 'integer' };
  const s = { type: 'object', properties: { p } } as Schema;
  const r = check(s, { p: value });
  if (r.notEvaluated.length > 0) return `not evaluated: ${r.notEvaluated[0]?.message}`;
  return r.errors.length === 0;
}

describe('Kubernetes CEL libraries', () => {
  it('url/isURL follow Go ParseRequestURI', () => {
    expect(
      run(
        "isURL(self) && url(self).getScheme() == 'https' && url(self).getHost() == 'a.com:8443' && url(self).getHostname() == 'a.com' && url(self).getPort() == '8443'",
        'https://a.com:8443/x',
      ),
    ).toBe(true);
    expect(run('isURL(self)', 'example.com')).toBe(false);
    expect(run('isURL(self)', '/abs/path')).toBe(true);
    expect(run("url(self).getQuery() == {} && url(self).getEscapedPath() == '/p'", 'https://a/p')).toBe(true);
    expect(run("url(self).getQuery()['a'] == ['1', '2']", 'https://a/p?a=1&a=2')).toBe(true);
  });

  it('ip/cidr functions', () => {
    expect(run('isIP(self) && ip(self).family() == 6 && ip(self).isLoopback()', '::1')).toBe(true);
    expect(run('isIP(self)', '010.1.1.1')).toBe(false);
    expect(
      run(
        "isCIDR(self) && cidr(self).prefixLength() == 16 && cidr(self).ip().family() == 4 && cidr(self).containsIP('10.1.2.3') && !cidr(self).containsIP('10.2.0.1')",
        '10.1.0.0/16',
      ),
    ).toBe(true);
    expect(run("cidr(self).containsCIDR('fd00::/64')", 'fd00::/48')).toBe(true);
    expect(run('isCIDR(self)', '10.0.0.0/33')).toBe(false);
    expect(run('ip.isCanonical(self)', '2001:db8::1')).toBe(true);
  });

  it('quantity library compares exactly', () => {
    expect(run("quantity(self).isGreaterThan(quantity('1Gi')) && quantity(self).compareTo(quantity('1536Mi')) == 0", '1.5Gi')).toBe(true);
    expect(run('isQuantity(self)', '12xyz')).toBe(false);
    expect(run('quantity(self).add(1).asInteger() == 1025', '1Ki')).toBe(true);
  });

  it('format library returns optional error lists', () => {
    expect(run('!format.dns1123Label().validate(self).hasValue()', 'my-name')).toBe(true);
    expect(run('format.dns1123Label().validate(self).hasValue()', 'My_Name')).toBe(true);
    expect(run("format.named('qualifiedName').value().validate(self).hasValue()", 'example.com/ok')).toBe(false);
  });

  it('regex find/findAll, strings ext and optional chaining', () => {
    expect(run("self.find('[0-9]+') == '42' && self.findAll('[a-z]').size() == 3", 'abc42')).toBe(true);
    expect(
      run("self.charAt(1) == 'b' && self.replace('b', 'B') == 'aBc' && self.reverse() == 'cba' && self.lowerAscii() == 'abc'", 'abc'),
    ).toBe(true);
    expect(run("self.split('/', 2)[1] == 'b/c' && ['a','b'].join('-') == 'a-b'", 'a/b/c')).toBe(true);
    expect(run('self.?missing.orValue(1) == 1', {}, 'object')).toBe(true);
  });

  it('list library and sets', () => {
    expect(
      run('self.sum() == 6 && self.min() == 1 && self.max() == 3 && self.indexOf(2) == 1 && !self.isSorted()', [3, 2, 1], 'array'),
    ).toBe(true);
    expect(run('self.isSorted() && self.slice(1, 3) == [2, 3] && self.lastIndexOf(9) == -1', [1, 2, 3], 'array')).toBe(true);
    expect(run('sets.contains(self, [1]) && sets.intersects(self, [9, 1]) && !sets.equivalent(self, [1])', [1, 2], 'array')).toBe(true);
  });

  it('durations and timestamps from formatted strings', () => {
    expect(run('duration(self).getSeconds() >= 300', '5m')).toBe(true);
    // format: date-time strings are CEL timestamps, as in kube
    expect(run("self < timestamp('2030-01-01T00:00:00Z')", '2024-01-01T00:00:00Z', 'string', 'date-time')).toBe(true);
    expect(run("self > timestamp('2030-01-01T00:00:00Z')", '2024-01-01T00:00:00Z', 'string', 'date-time')).toBe(false);
  });
});
