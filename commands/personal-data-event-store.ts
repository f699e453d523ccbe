import { ERASED, PERSONAL_DATA_ERASED } from '../domain/user/personal-data-erased.ts';
import type {
  EventStore,
  EventToAppend,
  JsonObject,
  RecordedEvent,
  Subscription,
} from '../ports/event-store.ts';
import type { PersonalDataKeys, SubjectKey } from '../ports/personal-data-keys.ts';
import { decryptField, encryptField, isEncrypted, keyIdOf } from './personal-data/field-cipher.ts';
import { personalFieldsOf, subjectOf } from './personal-data/personal-fields.ts';

/** How long a found key is trusted before it is looked up again (a forget elsewhere). */
const KEY_TTL_MS = 10_000;

/**
 * Crypto-shredding at the event store port: personal fields are encrypted with their owner's
 * key before they are stored (so the hash chain, computed below this layer, covers the
 * ciphertext), and decrypted on every read. Once a key is destroyed its fields read as ERASED,
 * everywhere the events are read: command handlers, projections, reactions, audit routes.
 * Exports and chain checks read beneath this layer, the events as stored.
 */
export const personalDataEventStore = (
  store: EventStore,
  keys: PersonalDataKeys,
  options: { onClose?: () => Promise<void> } = {},
): EventStore & { forgetKeys(keyIds: readonly string[]): void } => {
  const cache = new Map<string, { key: Buffer | null; until: number }>();

  const keyById = async (keyId: string): Promise<Buffer | null> => {
    const cached = cache.get(keyId);
    if (cached !== undefined && (cached.key === null || cached.until > Date.now())) {
      return cached.key;
    }
    const key = await keys.find(keyId);
    // A destroyed key never comes back: remember that for good.
    cache.set(keyId, { key, until: Date.now() + KEY_TTL_MS });
    if (cache.size > 10_000) cache.delete(cache.keys().next().value ?? '');
    return key;
  };

  const forgetKeys = (keyIds: readonly string[]) => {
    for (const keyId of keyIds) cache.set(keyId, { key: null, until: Infinity });
  };

  const encrypt = async (event: EventToAppend): Promise<EventToAppend> => {
    const fields = personalFieldsOf(event.type, event.data);
    if (fields.length === 0) return event;
    const data: JsonObject = { ...event.data };
    const bySubject = new Map<string, SubjectKey>();
    for (const { field, owner } of fields) {
      const subject = subjectOf(owner);
      let key = bySubject.get(subject);
      if (key === undefined) {
        key = await keys.keyFor(subject);
        bySubject.set(subject, key);
      }
      data[field] = encryptField(key, event.id, field, String(event.data[field]));
    }
    return { ...event, data };
  };

  const decrypt = async (event: RecordedEvent): Promise<RecordedEvent> => {
    if (event.type === PERSONAL_DATA_ERASED && Array.isArray(event.data.keyIds)) {
      forgetKeys(event.data.keyIds.filter((id): id is string => typeof id === 'string'));
    }
    let data: JsonObject | undefined;
    for (const [field, value] of Object.entries(event.data)) {
      if (!isEncrypted(value)) continue;
      data ??= { ...event.data };
      const key = await keyById(keyIdOf(value));
      data[field] = key === null ? ERASED : decryptField(key, event.id, field, value);
    }
    return data === undefined ? event : { ...event, data };
  };

  const decryptAll = (events: RecordedEvent[]) => Promise.all(events.map(decrypt));

  const subscribeToAll = (subscribeOptions?: { after?: bigint }): Subscription => {
    const inner = store.subscribeToAll(subscribeOptions);
    return {
      close: () => inner.close(),
      async *[Symbol.asyncIterator]() {
        for await (const event of inner) yield await decrypt(event);
      },
    };
  };

  return {
    forgetKeys,
    // Kept when the store has one: the command handler skips catch-up reads by it.
    ...(store.streamChangeToken ? { streamChangeToken: store.streamChangeToken.bind(store) } : {}),
    append: async (streamId, events, appendOptions) =>
      store.append(streamId, await Promise.all(events.map(encrypt)), appendOptions),
    readStream: async (streamId, readOptions) =>
      decryptAll(await store.readStream(streamId, readOptions)),
    readAll: async (readOptions) => decryptAll(await store.readAll(readOptions)),
    subscribeToAll,
    headPosition: () => store.headPosition(),
    ping: async () => {
      await store.ping();
      await keys.ping();
    },
    close: async () => {
      await store.close();
      await keys.close();
      await options.onClose?.();
    },
  };
};
