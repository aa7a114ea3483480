import { describe, expect, it } from 'vitest';
import { createDigitalOceanClient } from '../../src/digitalocean/client.js';
import { MIN_TOKEN_FRAGMENT, redact, redactDeep, redactorFor } from '../../src/digitalocean/redaction.js';
import { describeFailure } from '../../src/digitalocean/reply-errors.js';
import { startHostileApi } from '../security/hostile-api.js';

const TOKEN = `dop_v1_${'0123456789abcdef'.repeat(4)}`;

describe('redact', () => {
  it('removes the token, any long fragment of it, upper-cased echoes and quoted Bearer credentials', () => {
    const head = TOKEN.slice(0, 30);
    const tail = TOKEN.slice(-MIN_TOKEN_FRAGMENT);
    const text = `a ${TOKEN} b ${head} c ${tail} d ${TOKEN.toUpperCase()} e Bearer other-token-xyz`;
    const out = redact(text, [TOKEN]);
    expect(out).toBe('a [redacted] b [redacted] c [redacted] d [redacted] e Bearer [redacted]');
  });

  it('keeps short pieces that merely look alike, and text without secrets', () => {
    expect(redact(`arcadia-snap-1001-${TOKEN.slice(-(MIN_TOKEN_FRAGMENT - 1))}`, [TOKEN])).toContain(
      TOKEN.slice(-(MIN_TOKEN_FRAGMENT - 1)),
    );
    expect(redact('arcadia-snap-1001-abcd1234', ['arcadia-simulator-token'])).toBe('arcadia-snap-1001-abcd1234');
    expect(redact('nothing here', [])).toBe('nothing here');
  });

  it('walks a parsed reply: every string, keys too, and a "__proto__" key stays a plain key', () => {
    const parsed = JSON.parse(`{"a":["${TOKEN}",1,null,{"${TOKEN}":true}],"__proto__":{"x":"${TOKEN}"}}`) as unknown;
    const out = redactDeep(parsed, redactorFor([TOKEN])) as Record<string, unknown>;
    expect(JSON.stringify(out)).not.toContain(TOKEN.slice(-MIN_TOKEN_FRAGMENT));
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['a', '__proto__']);
  });
});

describe('describeFailure', () => {
  it('redacts before it cuts: a token straddling the 300-character cut leaves nothing of itself', () => {
    const message = `${'x'.repeat(280)}${TOKEN}${'y'.repeat(100)}`;
    const headers = new Headers({ 'x-request-id': `req-${TOKEN}` });
    const failure = describeFailure(
      { status: 422, text: JSON.stringify({ id: `bad_${TOKEN}`, message }), headers },
      { method: 'POST', path: '/v2/x' },
      [TOKEN],
    );
    const all = JSON.stringify(failure);
    for (let i = 0; i + MIN_TOKEN_FRAGMENT <= TOKEN.length; i += 1)
      expect(all).not.toContain(TOKEN.slice(i, i + MIN_TOKEN_FRAGMENT));
    expect(failure.providerMessage).toMatch(/^x{280}\[redacted\]y+…$/);
    expect(failure.requestId).toBe('req-[redacted]');
    expect(failure.providerId).toBe('bad_[redacted]');
  });

  it('redacts request_id from the body, and a raw (non-JSON) body', () => {
    const failure = describeFailure(
      { status: 500, text: `<pre>${TOKEN}</pre>`, headers: new Headers() },
      { method: 'GET', path: '/v2/x' },
      [TOKEN],
    );
    expect(failure.providerMessage).toBe('<pre>[redacted]</pre>');
    const body = describeFailure(
      {
        status: 404,
        text: JSON.stringify({ id: 'not_found', message: 'gone', request_id: TOKEN }),
        headers: new Headers(),
      },
      { method: 'GET', path: '/v2/x' },
      [TOKEN],
    );
    expect(body.requestId).toBe('[redacted]');
  });
});

describe('success replies', () => {
  it('every string of a parsed reply is redacted before the client hands it on', async () => {
    const api = await startHostileApi(() => ({
      status: 200,
      body: {
        action: {
          id: 7,
          status: 'in-progress',
          type: `snapshot ${TOKEN}`,
          started_at: '2026-03-01T12:00:00Z',
          completed_at: null,
          resource_id: 1,
          note: { deep: [TOKEN.toUpperCase()] },
        },
      },
    }));
    try {
      const client = createDigitalOceanClient({ apiUrl: api.url, readToken: TOKEN, retries: 0 });
      const action = await client.getAction(7);
      expect(action.type).toBe('snapshot [redacted]');
      expect(JSON.stringify(action)).not.toContain(TOKEN.slice(-MIN_TOKEN_FRAGMENT).toUpperCase());
    } finally {
      await api.close();
    }
  });
});
