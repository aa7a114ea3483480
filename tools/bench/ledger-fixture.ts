import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ledgerPath, openLedgerDatabase } from '../../src/db/open.js';

const DAY_MS = 86_400_000;
const FLEET = 200;
const FIRST_DROPLET = 400_000_001;
const STEPS = ['create_droplet_snapshot', 'prune_snapshots'];
/** One saga in this many is rolled back (the snapshot action errored; the snapshot step compensated). */
const ROLLED_BACK_EVERY = 60;

/**
 * A ledger as years of nightly `arcadia snapshot --tag web --keep 7` leave it: one saga per droplet per night in
 * batches of 200, each with its two step results and the ten events the runner writes (created, owner, running,
 * the step transitions, two checkpoints, succeeded), or a rollback's. Rows are inserted with plain SQL in one
 * transaction per fill: filling through the runner would take hours, and what is measured only reads.
 */
export class LedgerFixture {
  readonly home = mkdtempSync(join(tmpdir(), 'arcadia-bench-ledger-'));
  /** Saga ids in creation order. */
  readonly ids: string[] = [];
  private readonly start = Date.UTC(2024, 0, 1, 3, 15);

  constructor() {
    // The real schema and migrations, exactly as arcadia creates them.
    openLedgerDatabase({ home: this.home, busyTimeoutMs: 5000 }).close();
  }

  get size(): number {
    return this.ids.length;
  }

  /** Appends newer sagas until the ledger holds `total`. */
  growTo(total: number): void {
    const db = new Database(ledgerPath(this.home));
    try {
      // A bulk load, not arcadia's durability: no journal while filling, back to WAL (as arcadia opens it) after.
      db.pragma('journal_mode = OFF');
      db.pragma('synchronous = OFF');
      db.pragma('cache_size = -262144');
      const saga = db.prepare(
        `INSERT INTO saga_runs (id, kind, status, step_names, context, triggered_by, deployment_id, batch_id, ` +
          `created_at, updated_at, lease_epoch, recovery_attempts, error)
         VALUES (?, 'snapshot', ?, ?, ?, 'cron:web', NULL, ?, ?, ?, 1, 0, ?)`,
      );
      const step = db.prepare(
        `INSERT INTO saga_step_results (saga_id, idx, name, status, attempts, started_at, finished_at, ` +
          `compensated_at, error) VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?)`,
      );
      const event = db.prepare(
        `INSERT INTO saga_events (saga_id, at, step_idx, step_name, from_status, to_status, detail, epoch) ` +
          `VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      const stepNames = JSON.stringify(STEPS);
      let batchId = '';
      db.transaction(() => {
        for (let n = this.ids.length; n < total; n++) {
          const night = Math.floor(n / FLEET);
          const slot = n % FLEET;
          if (slot === 0 || batchId === '') batchId = randomUUID();
          const id = randomUUID();
          const droplet = FIRST_DROPLET + slot;
          const t0 = this.start + night * DAY_MS + slot * 650;
          const actionMs = 110_000 + ((n * 7919) % 20_000);
          const failed = n % ROLLED_BACK_EVERY === ROLLED_BACK_EVERY - 1;
          const name = `arcadia-snap-${droplet}-${id.slice(0, 8)}`;
          const actionId = 2_000_000_001 + n;
          const posted = t0 + 40;
          const done = posted + actionMs + 3_000;
          const inputs = { droplet_provider_id: droplet, keep: 7 };
          // Events go in after the saga row (foreign keys), in the order the runner writes them.
          const events: [number, number | null, string | null, string, string | null, number][] = [];
          const ev = (
            at: number,
            stepIdx: number | null,
            from: string | null,
            to: string,
            detail: string | null,
            epoch = 1,
          ): void => {
            events.push([at, stepIdx, from, to, detail, epoch]);
          };
          ev(t0, null, null, 'pending', 'created', 0);
          ev(t0 + 10, null, null, 'owner', `pid ${20_000 + night} on backup-host, epoch 1`);
          ev(t0 + 10, null, 'pending', 'running', null);
          ev(t0 + 12, 0, 'pending', 'running', null);
          ev(t0 + 14, 0, null, 'checkpoint', 'snapshot_posting_at');
          ev(posted, 0, null, 'checkpoint', 'snapshot_action_id');
          if (failed) {
            const stepError = `DigitalOcean reports snapshot action ${actionId} for droplet ${droplet} errored`;
            const context = { __inputs__: inputs, snapshot_posting_at: t0 + 14, snapshot_action_id: actionId };
            saga.run(
              id,
              'rolled_back',
              stepNames,
              JSON.stringify(context),
              batchId,
              t0,
              done + 900,
              `${STEPS[0]}: ${stepError}`,
            );
            step.run(id, 0, STEPS[0], 'failed', t0 + 12, done, done + 900, stepError);
            step.run(id, 1, STEPS[1], 'pending', null, null, null, null);
            ev(done, 0, 'running', 'failed', stepError);
            ev(done + 1, null, 'running', 'compensating', `${STEPS[0]}: ${stepError}`);
            ev(done + 2, 0, 'failed', 'compensating', null);
            ev(done + 900, 0, 'compensating', 'failed', 'compensated');
            ev(done + 900, null, 'compensating', 'rolled_back', null);
          } else {
            const pruned = night >= 7 ? [String(150_000_001 + n - 7 * FLEET)] : [];
            const context = {
              __inputs__: inputs,
              snapshot_posting_at: t0 + 14,
              snapshot_action_id: actionId,
              snapshot_id: String(150_000_001 + n),
              snapshot_name: name,
              snapshot_size_gigabytes: Math.round((1.25 + (n % 97) / 10) * 100) / 100,
              snapshot_action_ms: Math.round(actionMs / 1000) * 1000,
              pruned_snapshot_ids: pruned,
            };
            saga.run(id, 'succeeded', stepNames, JSON.stringify(context), batchId, t0, done + 400, null);
            step.run(id, 0, STEPS[0], 'succeeded', t0 + 12, done, null, null);
            step.run(id, 1, STEPS[1], 'succeeded', done + 1, done + 400, null, null);
            ev(done, 0, 'running', 'succeeded', null);
            ev(done + 1, 1, 'pending', 'running', null);
            ev(done + 400, 1, 'running', 'succeeded', null);
            ev(done + 400, null, 'running', 'succeeded', null);
          }
          for (const [at, stepIdx, from, to, detail, epoch] of events)
            event.run(id, at, stepIdx, stepIdx === null ? null : STEPS[stepIdx], from, to, detail, epoch);
          this.ids.push(id);
        }
      })();
      db.pragma('journal_mode = WAL');
    } finally {
      db.close();
    }
    // Written without syncs: flush now, or the kernel's write-back of a few hundred MB lands in the measurements.
    const fd = openSync(ledgerPath(this.home), 'r+');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** A ledger of `size` sagas. */
  static of(size: number): LedgerFixture {
    const fixture = new LedgerFixture();
    fixture.growTo(size);
    return fixture;
  }

  /** Saga ids `saga show` is asked for: spread over what the smallest size holds, so every size has them. */
  sampleIds(count: number, within = this.ids.length): string[] {
    return Array.from({ length: count }, (_, i) => this.ids[Math.floor(((i + 0.5) * within) / count)] as string);
  }

  cleanup(): void {
    rmSync(this.home, { recursive: true, force: true });
  }
}
