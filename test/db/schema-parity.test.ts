import { getTableConfig as pgTableConfig, type PgTable } from 'drizzle-orm/pg-core';
import { getTableConfig as sqliteTableConfig, type SQLiteTable } from 'drizzle-orm/sqlite-core';
import { describe, expect, it } from 'vitest';
import * as pg from '../../src/db/pg-schema.js';
import * as sqlite from '../../src/db/schema.js';

/** How a column's SQL type maps across the dialects: times are bigint on PostgreSQL, JSON is jsonb. */
const SAME_TYPE: Record<string, string[]> = {
  integer: ['integer', 'bigint'],
  text: ['text', 'jsonb'],
};

interface ColumnShape {
  name: string;
  notNull: boolean;
  default: unknown;
  primary: boolean;
}

interface TableShape {
  name: string;
  columns: ColumnShape[];
  indexes: string[];
  primaryKeys: string[][];
  foreignKeys: string[];
}

const column = (c: { name: string; notNull: boolean; default: unknown; primary: boolean }): ColumnShape => ({
  name: c.name,
  notNull: c.notNull,
  default: c.default,
  primary: c.primary,
});

function sqliteShape(table: SQLiteTable): TableShape {
  const config = sqliteTableConfig(table);
  return {
    name: config.name,
    columns: config.columns.map(column),
    indexes: config.indexes.map(
      (i) => `${i.config.name}(${i.config.columns.map((c) => ('name' in c ? c.name : '?')).join(',')})`,
    ),
    primaryKeys: config.primaryKeys.map((k) => k.columns.map((c) => c.name)),
    foreignKeys: config.foreignKeys.map((fk) => {
      const ref = fk.reference();
      return `${ref.columns.map((c) => c.name).join(',')}->${sqliteTableConfig(ref.foreignTable).name}`;
    }),
  };
}

function pgShape(table: PgTable): TableShape {
  const config = pgTableConfig(table);
  return {
    name: config.name,
    columns: config.columns.map(column),
    indexes: config.indexes.map(
      (i) => `${i.config.name}(${i.config.columns.map((c) => ('name' in c ? c.name : '?')).join(',')})`,
    ),
    primaryKeys: config.primaryKeys.map((k) => k.columns.map((c) => c.name)),
    foreignKeys: config.foreignKeys.map((fk) => {
      const ref = fk.reference();
      return `${ref.columns.map((c) => c.name).join(',')}->${pgTableConfig(ref.foreignTable).name}`;
    }),
  };
}

const pairs = [
  [sqlite.sagaRuns, pg.sagaRuns],
  [sqlite.sagaStepResults, pg.sagaStepResults],
  [sqlite.sagaEvents, pg.sagaEvents],
  [sqlite.reconcileReports, pg.reconcileReports],
  [sqlite.batchHolds, pg.batchHolds],
] as const;

describe('one schema, two dialects', () => {
  it('declares the same tables in both files', () => {
    const tableNames = (module: object) =>
      Object.keys(module)
        .filter((key) => typeof (module as Record<string, unknown>)[key] === 'object')
        .sort();
    expect(tableNames(pg)).toEqual(tableNames(sqlite));
    expect(pairs).toHaveLength(tableNames(sqlite).length);
  });

  it.each(pairs.map(([s, p]) => [sqliteTableConfig(s).name, s, p] as const))(
    '%s has the same columns, defaults, keys and indexes',
    (_name, sqliteTable, pgTable) => {
      expect(pgShape(pgTable)).toEqual(sqliteShape(sqliteTable));
    },
  );

  it.each(pairs.map(([s, p]) => [sqliteTableConfig(s).name, s, p] as const))(
    '%s maps every column to a type of the same kind',
    (_name, sqliteTable, pgTable) => {
      const pgTypes = new Map(pgTableConfig(pgTable).columns.map((c) => [c.name, c.getSQLType()]));
      for (const c of sqliteTableConfig(sqliteTable).columns) {
        expect(SAME_TYPE[c.getSQLType()], `${c.name}`).toContain(pgTypes.get(c.name));
      }
    },
  );
});
