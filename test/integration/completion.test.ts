/**
 * Shell completion through kubectl's own `__complete` (kubectl 1.26+ runs `kubectl_complete-hcp_dr` from PATH with
 * the words after the plugin name). The temp dir on PATH holds the completion scripts copied from plugin/ and a
 * kubectl-hcp_dr that runs src/main.ts, so the test reads the current yargs definitions, not a build in dist/.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const KUBECTL = '/usr/bin/kubectl';
const haveKubectl = existsSync(KUBECTL);
if (!haveKubectl) console.warn(`skipping completion through kubectl: no ${KUBECTL}`);

const kubeconfig = (server: string) =>
  yaml.dump({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { server } }],
    users: [{ name: 'u', user: { token: 'not-a-secret' } }],
    contexts: ['mgmt1', 'mgmt2', 'other'].map((name) => ({ name, context: { cluster: 'c', user: 'u' } })),
    'current-context': 'mgmt1',
  });

describe.skipIf(!haveKubectl)('kubectl hcp-dr <TAB> through kubectl __complete', () => {
  let dir: string;
  let stubDir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'hcp-dr-complete-'));
    for (const name of ['kubectl_complete-hcp_dr', 'oc_complete-hcp_dr']) copyFileSync(join(root, 'plugin', name), join(dir, name));
    writeFileSync(join(dir, 'kubectl-hcp_dr'), `#!/bin/sh\nexec "${root}/node_modules/.bin/node" "${root}/src/main.ts" "$@"\n`);
    for (const name of ['kubectl_complete-hcp_dr', 'oc_complete-hcp_dr', 'kubectl-hcp_dr']) chmodSync(join(dir, name), 0o755);
    // Port 1 on 127.0.0.1: nothing listens, so a live lookup fails at once.
    writeFileSync(join(dir, 'kubeconfig'), kubeconfig('https://127.0.0.1:1'));
    // A kubectl that answers the hosted-cluster list, for the names; it records its arguments.
    stubDir = mkdtempSync(join(tmpdir(), 'hcp-dr-complete-stub-'));
    writeFileSync(
      join(stubDir, 'kubectl'),
      `#!/bin/sh\nprintf '%s\\n' "$*" >> "${stubDir}/calls"\ncase "$*" in *"get hostedclusters"*) printf 'demo\\ndev\\nprod\\n' ;; *) exec ${KUBECTL} "$@" ;; esac\n`,
    );
    chmodSync(join(stubDir, 'kubectl'), 0o755);
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(stubDir, { recursive: true, force: true });
  });

  /** The candidates (without descriptions) and the directive kubectl prints for `kubectl hcp-dr <words>`. */
  function complete(words: string[], opts: { stub?: boolean } = {}): { candidates: string[]; directive: string } {
    const path = [opts.stub ? stubDir : '', dir, process.env['PATH'] ?? ''].filter(Boolean).join(':');
    const r = spawnSync(KUBECTL, ['__complete', 'hcp-dr', ...words], {
      encoding: 'utf8',
      env: { PATH: path, HOME: dir, KUBECONFIG: join(dir, 'kubeconfig') },
    });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const directive = lines.pop() ?? '';
    return { candidates: lines.map((l) => l.split('\t')[0] ?? ''), directive };
  }

  it('lists the commands after the plugin name', () => {
    const { candidates, directive } = complete(['']);
    expect(candidates).toEqual(
      expect.arrayContaining(['etcd', 'backup', 'resume', 'restore', 'move', 'schedule', 'export', 'render', 'validate', 'version']),
    );
    expect(directive).toBe(':4');
    expect(complete(['re']).candidates.sort()).toEqual(['render', 'restore', 'resume']);
  });

  it("lists a command's subcommands, and only those matching the prefix", () => {
    expect(complete(['etcd', '']).candidates).toEqual(['status', 'recover-member', 'restore']);
    expect(complete(['backup', 'l']).candidates).toEqual(['list']);
  });

  it("lists backup's flags, its own and the global ones, and leaves out a flag already given", () => {
    const { candidates, directive } = complete(['backup', '--']);
    expect(candidates).toEqual(
      expect.arrayContaining(['--to', '--all', '--online', '--quiesce', '--dry-run', '--kubeconfig', '--context']),
    );
    expect(candidates.every((c) => c.startsWith('--'))).toBe(true);
    expect(directive).toBe(':4');
    const after = complete(['backup', 'demo', '--online', '--to', 's3://b', '--']).candidates;
    expect(after).not.toContain('--online');
    expect(after).not.toContain('--to');
    expect(after).toContain('--keys-to');
    expect(complete(['etcd', 'status', '--']).candidates).not.toContain('--to');
  });

  it('completes flag values: output formats, choices, contexts from the kubeconfig, files for path flags', () => {
    expect(complete(['etcd', 'status', 'demo', '-o', '']).candidates).toEqual(['table', 'json', 'yaml']);
    expect(complete(['move', 'demo', '--nodes', 'a']).candidates).toEqual(['auto', 'adopt']);
    expect(complete(['backup', 'demo', '--context', 'mgmt']).candidates).toEqual(['mgmt1', 'mgmt2']);
    expect(complete(['move', 'demo', '--to-context=']).candidates).toEqual([
      '--to-context=mgmt1',
      '--to-context=mgmt2',
      '--to-context=other',
    ]);
    expect(complete(['backup', 'demo', '--ca-bundle', '']).directive).toBe(':0');
  });

  it('completes hosted cluster names by a live list in the namespace of -n, and prints nothing when the cluster does not answer', () => {
    expect(complete(['etcd', 'status', '']).candidates).toEqual([]);
    expect(complete(['etcd', 'status', '-n', 'clusters', 'd'], { stub: true }).candidates).toEqual(['demo', 'dev']);
    const calls = readFileSync(join(stubDir, 'calls'), 'utf8');
    expect(calls).toMatch(/get hostedclusters\.hypershift\.openshift\.io -n clusters --request-timeout=2s/);
    // backup's own positional comes beside its subcommands; after it, nothing more is positional.
    expect(complete(['backup', ''], { stub: true }).candidates).toEqual(['list', 'verify', 'prune', 'demo', 'dev', 'prod']);
    expect(complete(['backup', 'demo', ''], { stub: true }).candidates).toEqual([]);
  });

  it('oc_complete-hcp_dr completes the same through oc: help as "oc hcp-dr", live values from oc', () => {
    const ocDir = mkdtempSync(join(tmpdir(), 'hcp-dr-complete-oc-'));
    try {
      writeFileSync(join(ocDir, 'oc'), `#!/bin/sh\ncase "$*" in *"get hostedclusters"*) echo from-oc ;; esac\n`);
      chmodSync(join(ocDir, 'oc'), 0o755);
      const run = (words: string[]) =>
        spawnSync(join(dir, 'oc_complete-hcp_dr'), words, {
          encoding: 'utf8',
          env: { PATH: `${ocDir}:${dir}:${process.env['PATH'] ?? ''}`, HOME: dir, KUBECONFIG: join(dir, 'kubeconfig') },
        }).stdout.split('\n');
      expect(run(['etcd', '']).map((l) => l.split('\t')[0])).toEqual(['status', 'recover-member', 'restore', ':4', '']);
      expect(run(['etcd', 'status', ''])).toEqual(['from-oc', ':4', '']);
    } finally {
      rmSync(ocDir, { recursive: true, force: true });
    }
  });
});
