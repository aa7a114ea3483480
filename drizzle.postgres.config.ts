import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/pg-schema.ts',
  out: './drizzle/postgres',
  // Where src/db/pg-open.ts keeps it: the ledger's own schema, so a user without CREATE on the database works.
  migrations: { table: '__drizzle_migrations', schema: 'public' },
});
