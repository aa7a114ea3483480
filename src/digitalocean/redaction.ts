/**
 * Takes the tokens in use out of everything a reply says. A server or proxy can echo the Authorization header in
 * any field (an error message, `request_id`, a header, a link, a name), and whatever arcadia keeps of a reply ends
 * up in the ledger, logs and `--json`; so every value from a reply passes through here before anything reads it.
 */

/** Fragments of a token at least this long count as the token: a message cut mid-token must not keep most of it. */
export const MIN_TOKEN_FRAGMENT = 12;

const REDACTED = '[redacted]';
/** An Authorization header quoted back, whatever the token in it. */
const BEARER = /\bBearer\s+[^\s"',;]+/gi;

interface Secret {
  lower: string;
  fragment: number;
  /** Every substring of the secret `fragment` long, lower-cased. */
  windows: Set<string>;
}

function prepare(secret: string): Secret {
  const lower = secret.toLowerCase();
  const fragment = Math.min(MIN_TOKEN_FRAGMENT, secret.length);
  const windows = new Set<string>();
  for (let i = 0; i + fragment <= lower.length; i += 1) windows.add(lower.slice(i, i + fragment));
  return { lower, fragment, windows };
}

/** Replaces every stretch of `text` that is a fragment of the secret at least `fragment` characters long. */
function redactSecret(text: string, secret: Secret): string {
  const { lower: needle, fragment, windows } = secret;
  if (fragment === 0 || text.length < fragment) return text;
  // case-insensitively: a hex token echoed in upper case is still the token
  const haystack = text.toLowerCase();
  let out = '';
  let copied = 0;
  let i = 0;
  while (i + fragment <= haystack.length) {
    if (!windows.has(haystack.slice(i, i + fragment))) {
      i += 1;
      continue;
    }
    let end = i + fragment;
    while (end < haystack.length && needle.includes(haystack.slice(i, end + 1))) end += 1;
    out += `${text.slice(copied, i)}${REDACTED}`;
    copied = end;
    i = end;
  }
  return out + text.slice(copied);
}

export type Redactor = (text: string) => string;

/** Every secret (and long fragment of one) replaced, and any quoted `Bearer` credential. */
export function redactorFor(secrets: readonly string[]): Redactor {
  const prepared = secrets.filter((s) => s.length > 0).map(prepare);
  return (text) => {
    let out = text.replace(BEARER, `Bearer ${REDACTED}`);
    for (const secret of prepared) out = redactSecret(out, secret);
    return out;
  };
}

export function redact(text: string, secrets: readonly string[]): string {
  return redactorFor(secrets)(text);
}

/** A parsed JSON reply with every string in it, keys included, redacted. */
export function redactDeep(value: unknown, redactor: Redactor): unknown {
  if (typeof value === 'string') return redactor(value);
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, redactor));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    // defineProperty, not assignment: a "__proto__" key from a reply must stay a plain key
    for (const [key, item] of Object.entries(value)) {
      Object.defineProperty(out, redactor(key), {
        value: redactDeep(item, redactor),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return value;
}
