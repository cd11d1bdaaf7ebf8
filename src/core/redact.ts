/**
 * Last line of defence against secrets in output: every message dropship prints about
 * Elasticsearch goes through here. Settings code already keeps secrets out of URLs and error
 * texts; this catches what a library might echo back (a URL with user-info, a header value).
 */
const registered = new Set<string>();

/** Remember a secret so that `redact` masks it wherever it shows up later. */
export function registerSecret(secret: string | undefined): void {
  // Very short values would mask ordinary words; no real credential is that short.
  if (secret && secret.length >= 4) registered.add(secret);
}

export const REDACTED = '[redacted]';

export function redact(text: string, extra: readonly string[] = []): string {
  let out = text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s@]*@/gi, `$1${REDACTED}@`);
  for (const secret of [...registered, ...extra]) {
    if (secret.length >= 4 && out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  return out;
}

/** The message of anything thrown, redacted, on one line. */
export function describeError(err: unknown): string {
  let message = err instanceof Error ? `${err.name === 'Error' ? '' : `${err.name}: `}${err.message}` : String(err);
  // The client's ResponseError message is only the error type; the reason is in the body.
  const reason = (err as { body?: { error?: { reason?: unknown } } } | null)?.body?.error?.reason;
  if (typeof reason === 'string' && !message.includes(reason)) message += `: ${reason}`;
  return redact(message.replace(/\s*\n\s*/g, ' '));
}
