/** `--pushgateway <url>`: the base URL of a Prometheus Pushgateway, checked before anything runs. */
import { UsageError } from '../errors.ts';

const HINT = 'e.g. --pushgateway http://pushgateway.monitoring.svc:9091 (http or https, no credentials, path or query)';

/** The URL without a trailing slash; UsageError for anything but http(s)://host[:port][/path] without credentials. */
export function parsePushgatewayUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new UsageError(`invalid --pushgateway "${text}": not a URL`, { hint: HINT });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`invalid --pushgateway: scheme "${url.protocol}" is not http or https`, { hint: HINT });
  // Credentials in a URL end up in CronJob specs and logs: refused, never echoed.
  if (url.username !== '' || url.password !== '')
    throw new UsageError('invalid --pushgateway: credentials in the URL are not supported (they would be stored in the CronJob)', {
      hint: HINT,
    });
  if (url.search !== '' || url.hash !== '')
    throw new UsageError(`invalid --pushgateway "${text}": a query or fragment is not supported`, { hint: HINT });
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}
