import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../src/digitalocean/errors.js';
import type { Droplet } from '../../src/digitalocean/types.js';
import type { StepContext } from '../../src/engine/step.js';
import type { SagaContext } from '../../src/engine/types.js';
import {
  createDeleteLeakedDropletsStep,
  leakedDropletInputs,
  type LeakedDropletsApi,
} from '../../src/sagas/reconcile-droplets-step.js';

const SAGA = '0b9d8c6e-1111-4222-8333-444455556666';

function droplet(id: number, name: string, tags: string[]): Droplet {
  return { id, name, tags } as unknown as Droplet;
}

/** The provider as the step sees it: droplets by id, and the DELETEs it was sent. */
function fakeApi(droplets: Droplet[]): LeakedDropletsApi & { deletes: number[] } {
  const deletes: number[] = [];
  const notFound = (): NotFoundError =>
    new NotFoundError({ method: 'GET', path: '/v2/droplets/x', status: 404, providerMessage: 'gone' });
  return {
    deletes,
    getDroplet: async (id) => {
      const found = droplets.find((d) => d.id === id);
      if (!found) throw notFound();
      return found;
    },
    deleteDroplet: async (id) => {
      deletes.push(id);
    },
  };
}

function context(inputs: SagaContext, recorded: SagaContext = {}): StepContext & { checkpoints: SagaContext[] } {
  const checkpoints: SagaContext[] = [];
  const ctx = {
    sagaId: 'r',
    context: { __inputs__: inputs, ...recorded },
    input: (key: string) => inputs[key],
    checkpoint: async (values: SagaContext) => void checkpoints.push(values),
    progress: () => {},
    checkpoints,
  };
  return ctx as unknown as StepContext & { checkpoints: SagaContext[] };
}

const TAG = `arcadia-saga-${SAGA}`;

describe('delete_leaked_droplets', () => {
  it('deletes each listed droplet that still carries its saga tag and name, and counts a 404 as done', async () => {
    const api = fakeApi([droplet(1, 'arcadia-drill-a', [TAG]), droplet(2, 'arcadia-drill-b', ['x', TAG])]);
    const leaks = [
      { id: 1, sagaId: SAGA, name: 'arcadia-drill-a' },
      { id: 2, sagaId: SAGA, name: 'arcadia-drill-b' },
      { id: 3, sagaId: SAGA, name: 'arcadia-drill-c' },
    ];
    const step = createDeleteLeakedDropletsStep(() => api);
    const result = await step.execute(context({ leaked_droplets: leakedDropletInputs(leaks) }));
    expect(api.deletes).toEqual([1, 2]);
    expect(result).toEqual({ deleted_droplet_ids: [1, 2, 3], spared_droplet_ids: [] });
  });

  it('spares a droplet renamed or untagged since the listing, and never deletes it on a rerun', async () => {
    const api = fakeApi([droplet(1, 'prod-db', [TAG]), droplet(2, 'arcadia-drill-b', ['web'])]);
    const leaks = [
      { id: 1, sagaId: SAGA, name: 'arcadia-drill-a' },
      { id: 2, sagaId: SAGA, name: 'arcadia-drill-b' },
    ];
    const step = createDeleteLeakedDropletsStep(() => api);
    const ctx = context({ leaked_droplets: leakedDropletInputs(leaks) });
    expect(await step.execute(ctx)).toEqual({ deleted_droplet_ids: [], spared_droplet_ids: [1, 2] });
    expect(api.deletes).toEqual([]);
    expect(ctx.checkpoints.at(-1)).toEqual({ spared_droplet_ids: [1, 2] });
  });

  it('skips what an earlier attempt recorded as deleted (a rerun after a crash sends no second DELETE)', async () => {
    const api = fakeApi([droplet(1, 'arcadia-drill-a', [TAG])]);
    const leaks = [{ id: 1, sagaId: SAGA, name: 'arcadia-drill-a' }];
    const step = createDeleteLeakedDropletsStep(() => api);
    const ctx = context({ leaked_droplets: leakedDropletInputs(leaks) }, { deleted_droplet_ids: [1] });
    expect(await step.execute(ctx)).toEqual({ deleted_droplet_ids: [1], spared_droplet_ids: [] });
    expect(api.deletes).toEqual([]);
  });
});
