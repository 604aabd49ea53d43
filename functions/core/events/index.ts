import { EventLog } from './log.ts';
import { type SettleStores, settlerOn } from './settle.ts';
import type { EventStore } from './stores.ts';

/**
 * The event log's public face: build one with {@link eventLogOn}, then call `around`, `begin`/`commit`
 * or `record` (see `./log.ts`); the types are in `./model.ts`.
 */

export { EventLog, newEventId, userActor } from './log.ts';
export { EVENT_TYPES, type EventDraft, type EventType, type LifecycleEvent } from './model.ts';

/**
 * The event log over `stores`, settling by the rules of `./settle.ts`.
 *
 * @example
 * const events = eventLogOn({ ...orgStores }, { retentionMs: config.retentionMs });
 */
export function eventLogOn(
  stores: SettleStores & { readonly events: EventStore },
  options: { retentionMs: number; now?: () => Date },
): EventLog {
  return new EventLog(stores.events, { ...options, settle: settlerOn(stores) });
}
