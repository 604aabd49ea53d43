import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';

/**
 * Amazon EventBridge as the dispatcher's first destination: each event becomes one entry on the
 * stage's bus (`EVENT_BUS_NAME`), `Source` `orgs-service`, `DetailType` the event type (so a rule can
 * match one type, as sbt-aws's provisioning rules match `Onboarding`), `Detail` the event as the audit
 * log shows it. `PutEvents` takes at most 10 entries a call (EventBridge quotas); an entry it reports
 * failed is retried at the next run. The SDK is the one the Lambda runtime provides, loaded on first use.
 */

/** The `Source` of every entry the service puts. */
export const EVENT_SOURCE = 'orgs-service';

export interface BusEntry {
  readonly id: string;
  readonly type: string;
  readonly time: Date;
  /** JSON. */
  readonly detail: string;
}

export interface EventBus {
  /** Puts the entries; returns the ids of those the bus did not take. */
  put(entries: readonly BusEntry[]): Promise<string[]>;
}

export class EventBridgeBus implements EventBus {
  readonly #busName: string;
  #sdk?: Promise<{ client: EventBridgeClient; PutEventsCommand: typeof import('@aws-sdk/client-eventbridge').PutEventsCommand }>;

  constructor(busName: string) {
    this.#busName = busName;
  }

  async put(entries: readonly BusEntry[]): Promise<string[]> {
    this.#sdk ??= import('@aws-sdk/client-eventbridge').then((sdk) => ({
      client: new sdk.EventBridgeClient({}),
      PutEventsCommand: sdk.PutEventsCommand,
    }));
    const { client, PutEventsCommand } = await this.#sdk;
    const failed: string[] = [];
    for (let i = 0; i < entries.length; i += 10) {
      const batch = entries.slice(i, i + 10);
      const answer = await client.send(
        new PutEventsCommand({
          Entries: batch.map((e) => ({
            EventBusName: this.#busName,
            Source: EVENT_SOURCE,
            DetailType: e.type,
            Detail: e.detail,
            Time: e.time,
            Resources: [],
          })),
        }),
      );
      // The answer's entries are in the request's order; one with an ErrorCode was not put.
      (answer.Entries ?? []).forEach((entry, index) => {
        const sent = batch[index];
        if (entry.ErrorCode && sent) failed.push(sent.id);
      });
    }
    return failed;
  }
}
