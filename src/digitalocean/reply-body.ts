/**
 * Reads a reply body as a stream and stops at a size cap: a server that sends an endless or enormous body must
 * end the request with an error, not grow arcadia's memory until it dies.
 */

/** A page of 200 droplets is about 1 MB: 16 MiB is far beyond any reply DigitalOcean sends. */
export const DEFAULT_MAX_REPLY_BYTES = 16 * 1024 * 1024;

export type BodyRead = { kind: 'read'; text: string } | { kind: 'too-large'; limitBytes: number };

/** `declaredLength` is the content-length header, when sent: a body it says is too large is not read at all. */
export async function readBodyCapped(
  body: ReadableStream<Uint8Array> | null | undefined,
  maxBytes: number,
  declaredLength: string | null,
): Promise<BodyRead> {
  if (!body) return { kind: 'read', text: '' };
  const tooLarge: BodyRead = { kind: 'too-large', limitBytes: maxBytes };
  if (declaredLength !== null && /^\d+$/.test(declaredLength) && Number(declaredLength) > maxBytes) {
    await body.cancel().catch(() => undefined);
    return tooLarge;
  }
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { kind: 'read', text: text + decoder.decode() };
    bytes += value.byteLength;
    if (bytes > maxBytes) {
      // closes the connection: the rest of the body is never downloaded
      await reader.cancel().catch(() => undefined);
      return tooLarge;
    }
    text += decoder.decode(value, { stream: true });
  }
}
