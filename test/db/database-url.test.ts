import { describe, expect, it } from 'vitest';
import { ledgerTargetFromEnv, parsePostgresUrl, withoutSecret } from '../../src/db/database-url.js';
import { DatabaseUrlError } from '../../src/db/errors.js';
import { exitCodeForError } from '../../src/cli/exit-codes.js';

const TIMEOUTS = { connectTimeoutMs: 1_000, queryTimeoutMs: 2_000 };
const SECRET = 'p@ss:w/rd%hush';
const ENCODED = encodeURIComponent(SECRET);

describe('ARCADIA_DATABASE_URL', () => {
  it('leaves SQLite selected when unset or blank', () => {
    expect(ledgerTargetFromEnv({})).toEqual({ backend: 'sqlite' });
    expect(ledgerTargetFromEnv({ ARCADIA_DATABASE_URL: '  ' })).toEqual({ backend: 'sqlite' });
  });

  it.each(['postgres', 'postgresql'])('selects PostgreSQL for %s://, naming it host:port/dbname', (scheme) => {
    const target = parsePostgresUrl(
      `${scheme}://arcadia:${encodeURIComponent(SECRET)}@db.internal:6432/fleet`,
      TIMEOUTS,
    );
    expect(target).toMatchObject({ backend: 'postgres', location: 'db.internal:6432/fleet', password: SECRET });
    expect(target.connectionString).not.toContain(encodeURIComponent(SECRET));
    expect(target.connectionString).toContain('arcadia@db.internal:6432/fleet');
  });

  it("defaults the port to 5432 and the database to the user's name, as libpq does; keeps sslmode", () => {
    const target = parsePostgresUrl('postgres://ops@db/?sslmode=require', TIMEOUTS);
    expect(target).toMatchObject({ location: 'db:5432/ops', password: undefined });
    expect(target.connectionString).toContain('sslmode=require');
  });

  it('reads the connect and statement timeouts from the environment', () => {
    const env = {
      ARCADIA_DATABASE_URL: 'postgres://u@h/d',
      ARCADIA_DATABASE_CONNECT_TIMEOUT_MS: '250',
      ARCADIA_DATABASE_QUERY_TIMEOUT_MS: '750',
    };
    expect(ledgerTargetFromEnv(env)).toMatchObject({ connectTimeoutMs: 250, queryTimeoutMs: 750 });
  });

  it.each([
    [`mysql://u:${ENCODED}@h/d`, /must start with postgres:\/\//],
    [`postgres//u:${ENCODED}@h/d`, /is not a URL/],
    [`postgres:///d?application_name=${ENCODED}`, /names no host/],
    [`postgres://u:${ENCODED}@h/d/e`, /not one database name/],
    ['postgres://u:%E0%A4%A@h/d', /badly percent-encoded/],
  ])('refuses %s as a usage error (exit 2) that does not repeat the password', (url, problem) => {
    let error: unknown;
    try {
      ledgerTargetFromEnv({ ARCADIA_DATABASE_URL: url });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DatabaseUrlError);
    expect(exitCodeForError(error)).toBe(2);
    const message = (error as Error).message;
    expect(message).toMatch(problem);
    expect(message).toMatch(/^ARCADIA_DATABASE_URL /);
    for (const part of [SECRET, encodeURIComponent(SECRET), '%E0%A4%A']) expect(message).not.toContain(part);
  });

  it('masks the password wherever a message might quote it', () => {
    expect(withoutSecret(`failed for ${SECRET} and ${encodeURIComponent(SECRET)}`, { password: SECRET })).toBe(
      'failed for *** and ***',
    );
    expect(withoutSecret('nothing here', { password: undefined })).toBe('nothing here');
  });
});
