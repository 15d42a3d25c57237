/**
 * Which kubelet the sandbox's Job runner uses for CronJob pods: the hcp-dr image with podman
 * (`npm run image` built it from the sources as they are, podman can run it here), else the built
 * plugin as a local process, said once on stderr with the reason. HCP_DR_SIM_RUNTIME=process forces
 * the process runner, HCP_DR_SIM_RUNTIME=podman the image even when sources are newer.
 *
 *   attachJobRunner(sim, { dir, ...podRunner([PLUGIN]) })
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { cannotRun, IMAGE_TAG, STORAGE } from '../../plugin/podman.ts';
import type { JobRunnerOptions } from '../sandbox/api/job-runner.ts';

let why: string | undefined | null = null;
const root = path.resolve(import.meta.dirname, '../..');

/** A source file newer than the last `npm run image` of IMAGE_TAG (its stamp), if any. */
function newerSource(): string | undefined {
  let built: number;
  try {
    built = statSync(path.join(STORAGE, 'image.stamp')).mtimeMs;
  } catch {
    return 'no build stamp';
  }
  for (const f of readdirSync(path.join(root, 'src'), { recursive: true, encoding: 'utf8' })) {
    if (statSync(path.join(root, 'src', f)).mtimeMs > built) return `src/${f}`;
  }
  return undefined;
}

/** Why pods cannot run from the image here (undefined: they can); checked once per process. */
export function imageUnavailable(): string | undefined {
  if (why === null) {
    const stale = process.env['HCP_DR_SIM_RUNTIME'] === 'podman' ? undefined : newerSource();
    why =
      process.env['HCP_DR_SIM_RUNTIME'] === 'process'
        ? 'HCP_DR_SIM_RUNTIME=process'
        : (cannotRun(IMAGE_TAG) ?? (stale ? `the image ${IMAGE_TAG} is older than ${stale} (npm run image rebuilds it)` : undefined));
  }
  return why;
}

export function podRunner(entrypoint: string[]): Pick<JobRunnerOptions, 'imageCommand' | 'podman'> {
  const reason = imageUnavailable();
  if (reason === undefined) {
    process.stderr.write(`job runner: CronJob pods run FROM ${IMAGE_TAG} with podman\n`);
    return { imageCommand: () => entrypoint, podman: { image: IMAGE_TAG } };
  }
  process.stderr.write(`job runner: ${reason}: the process runner stands in (the plugin as a local process, not the image)\n`);
  return { imageCommand: () => entrypoint };
}
