import { benchSnapshotPolling } from './snapshot-polling.js';
for (const r of await benchSnapshotPolling()) console.log(r.name, '|', r.value.toFixed(2), '|', r.note);
