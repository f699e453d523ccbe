import type { JsonObject } from '../../../ports/event-store.ts';
import type { ReadStore } from '../../../ports/read-store.ts';
import {
  generationCollection,
  readActiveGeneration,
  readGenerationPosition,
} from '../../../projections/generations.ts';
import { projectionCollections, type Projection } from '../../../projections/read-model.ts';

export interface DumpedDocument {
  id: string;
  position: string;
  doc: JsonObject;
}

/** Every document of the active generation, by base collection, in position order. */
export interface ReadModelDump {
  generation: number | null;
  checkpoint: string;
  collections: Record<string, DumpedDocument[]>;
}

const PAGE = 1000;

export const dumpCollection = async (
  readStore: ReadStore,
  collection: string,
): Promise<DumpedDocument[]> => {
  const all: DumpedDocument[] = [];
  let after: bigint | undefined;
  for (;;) {
    const page = await readStore.find(collection, {
      order: 'asc',
      limit: PAGE,
      ...(after === undefined ? {} : { after }),
    });
    for (const { id, position, doc } of page) all.push({ id, position: String(position), doc });
    const last = page[page.length - 1];
    if (!last || page.length < PAGE) return all;
    after = last.position;
  }
};

export const dumpActiveGeneration = async (
  readStore: ReadStore,
  projection: Projection,
): Promise<ReadModelDump> => {
  const generation = await readActiveGeneration(readStore, projection);
  const collections: Record<string, DumpedDocument[]> = {};
  if (generation === null) return { generation, checkpoint: '0', collections };
  for (const spec of projectionCollections(projection)) {
    collections[spec.name] = await dumpCollection(
      readStore,
      generationCollection(spec.name, generation),
    );
  }
  const checkpoint = await readGenerationPosition(readStore, projection, generation);
  return { generation, checkpoint: String(checkpoint), collections };
};

/** The dump without the generation number, for comparing stores rebuilt a different number of times. */
export const contentOf = (dump: ReadModelDump) => ({
  checkpoint: dump.checkpoint,
  collections: dump.collections,
});
