/**
 * Secrets must never reach a terminal or a log. Pre-signed URLs are credentials: their
 * signature (and session token) is replaced, the rest of the URL stays readable.
 */
const SIGNED_QUERY_PARAMS = /([?&](?:X-Amz-Signature|X-Amz-Security-Token|X-Amz-Credential|Signature|sig|AWSAccessKeyId)=)[^&\s"']+/gi;
const BEARER = /(Bearer\s+)[A-Za-z0-9._~+/=-]+/g;

export function redactSecrets(text: string): string {
  return text.replace(SIGNED_QUERY_PARAMS, '$1REDACTED').replace(BEARER, '$1REDACTED');
}

/** A pre-signed URL as it may be shown to a person. */
export function redactUrl(url: string): string {
  return redactSecrets(url);
}
