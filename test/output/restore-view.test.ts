import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Output } from '../../src/output/output.js';
import { printRestoreResult, restoreFactsLine, type RestoreResult } from '../../src/output/views/restore-view.js';
import { restoreFactsOf } from '../../src/sagas/restore/facts.js';

class Collect extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}

function plain(): { output: Output; stdout: Collect } {
  const stdout = new Collect();
  return { output: new Output('plain', { stdout, stderr: new Collect() }), stdout };
}

const RESULT: RestoreResult = {
  sagaId: 'aaaaaaaa-0000-4000-8000-000000000001',
  status: 'succeeded',
  snapshotId: '150000900',
  dropletId: 600000001,
  dropletName: 'web-1-restored',
  region: 'ams3',
  size: 's-1vcpu-2gb',
  monthlyPriceUsd: 12,
  tags: [],
  activeAfterMs: 41_200,
  error: null,
};

describe('restore view', () => {
  it('says which droplet came from which snapshot, where, at what price, and how fast', () => {
    const { output, stdout } = plain();
    printRestoreResult(output, RESULT);
    expect(stdout.text).toBe(
      'restore succeeded: droplet 600000001 (web-1-restored) from snapshot 150000900 in ams3, s-1vcpu-2gb ' +
        '($12/month), active after 41.2s\n' +
        `details: arcadia saga show ${RESULT.sagaId}\n`,
    );
  });

  it('a detached restore says how to run it; a failed one says why; a name cannot fake a line', () => {
    const { output, stdout } = plain();
    printRestoreResult(output, { ...RESULT, status: 'pending', dropletId: null, activeAfterMs: null });
    printRestoreResult(output, { ...RESULT, status: 'rolled_back', dropletName: 'evil\nforged', error: 'errored' });
    const lines = stdout.text.split('\n');
    expect(lines[1]).toBe(`run it with: arcadia saga resume ${RESULT.sagaId}`);
    expect(lines[2]).toContain('(evil?forged)');
    expect(lines[3]).toBe('error: errored');
  });

  it("tells a drill's facts in one line for saga show", () => {
    const facts = restoreFactsOf({
      kind: 'drill',
      context: {
        __inputs__: { snapshot_id: '150000900', region: 'nyc3', size_slug: 's-1vcpu-1gb', source_droplet_id: 1001 },
        restore_name: 'arcadia-restore-aaaaaaaa',
        restore_droplet_id: 600000001,
        active_after_ms: 3000,
        restore_deleted_at: Date.parse('2026-01-01T00:00:00Z'),
      },
    });
    expect(restoreFactsLine(facts)).toBe(
      'snapshot 150000900 of droplet 1001 -> droplet 600000001 arcadia-restore-aaaaaaaa (nyc3, s-1vcpu-1gb) ' +
        'active after 3s deleted 2026-01-01T00:00:00.000Z',
    );
    expect(restoreFactsLine(restoreFactsOf({ kind: 'restore', context: {} }))).toBe(
      'snapshot ? -> no droplet yet (?, ?)',
    );
  });
});
