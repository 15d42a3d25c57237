/**
 * Every hcp-dr process runs with NODE_FLAGS (plugin/sea-loader.ts): the release binary through
 * its SEA execArgv, a checkout through the scripts in plugin/. Keeps the scripts in step.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { NODE_FLAGS } from '../../../plugin/sea-loader.ts';
import { REPO_ROOT } from '../../sandbox/sandbox.ts';

describe('Node flags of the checkout entry scripts', () => {
  for (const script of ['kubectl-hcp_dr', 'oc-hcp_dr']) {
    it(`plugin/${script} starts node with NODE_FLAGS`, () => {
      const text = readFileSync(path.join(REPO_ROOT, 'plugin', script), 'utf8');
      const exec = text.split('\n').find((l) => /exec "\$root\/node_modules\/\.bin\/node"/.test(l)) ?? '';
      const flags = exec
        .replace(/^.*\/node" /, '')
        .split(' ')
        .filter((w) => w.startsWith('--'));
      expect(flags).toEqual(NODE_FLAGS);
    });
  }

  it('the flags keep the young generation small under a high allocation rate (without them it grows to 32 MiB)', () => {
    const churn =
      'let k=[];for(let i=0;i<3e6;i++){k.push({i});if(k.length>5000)k=[]}' +
      "console.log(require('node:v8').getHeapSpaceStatistics().find((s)=>s.space_name==='new_space').space_size)";
    const newSpace = (flags: string[]) => {
      const r = spawnSync(process.execPath, [...flags, '-e', churn], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      return Number(r.stdout.trim()) / 2 ** 20;
    };
    expect(newSpace(NODE_FLAGS)).toBeLessThanOrEqual(4);
    expect(newSpace([])).toBeGreaterThan(8);
  });
});
