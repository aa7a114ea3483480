import type { TestProject } from 'vitest/node';
import { startPrivateServer } from '../../tools/lib/postgres-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A PostgreSQL superuser URL (password included) of the server this run's suites use. */
    postgresUrl: string;
  }
}

/**
 * vitest globalSetup: the PostgreSQL suites get a real server, never a mock. ARCADIA_TEST_DATABASE_URL (a role
 * that may CREATE DATABASE) is used when set; otherwise a private server is started for the run and stopped after.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const given = process.env.ARCADIA_TEST_DATABASE_URL;
  if (given !== undefined && given.trim() !== '') {
    project.provide('postgresUrl', given.trim());
    return undefined;
  }
  const server = await startPrivateServer();
  project.provide('postgresUrl', server.url);
  return () => server.stop();
}
