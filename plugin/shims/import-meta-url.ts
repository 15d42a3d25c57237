/**
 * Injected into the SEA bundle (esbuild `inject`) only if some module reads `import.meta.url`:
 * a CommonJS bundle has no `import.meta`, so it becomes the executable's file URL.
 */
import { pathToFileURL } from 'node:url';

export const hcpDrImportMetaUrl: string = pathToFileURL(__filename).href;
