/** What a snapshot saga of this batch does beyond the snapshot itself. */
export interface SnapshotWork {
  powerOff: boolean;
  withVolumes: boolean;
  copyTo: string[];
  retention: boolean;
}

/**
 * Requests one snapshot saga of a batch costs, for pacing the batch to the hourly quota: the one estimate the batch
 * uses. Measured with the fleet watcher (`npm run bench`, tools/bench/fleet-watch.ts): 1.11 to 1.19 per snapshot
 * for fleets of 200 and 500 (11.2 before it); the extras are the requests of each optional step with its polls.
 */
export function requestsPerSnapshotSaga(work: SnapshotWork): number {
  const MEASURED_PER_SNAPSHOT = 1.2;
  return (
    MEASURED_PER_SNAPSHOT +
    (work.powerOff ? 6 : 0) +
    (work.withVolumes ? 3 : 0) +
    work.copyTo.length * 4 +
    (work.retention ? 2 : 0)
  );
}
