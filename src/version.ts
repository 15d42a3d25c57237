/** Replaced at bundle time by the package version (esbuild define); "dev" when run from source. */
declare const __HCP_DR_VERSION__: string | undefined;
export const VERSION: string = typeof __HCP_DR_VERSION__ === 'string' ? __HCP_DR_VERSION__ : '0.1.0-dev';
