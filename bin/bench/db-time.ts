import type { CommandFailedEvent, CommandSucceededEvent, MongoClient } from 'mongodb';

/**
 * The time a client spends in database commands, from the driver's command monitoring (the client
 * must be made with `monitorCommands: true`, e.g. `?monitorCommands=true` in its URI): for each
 * command, from sending it to its reply (the network and the server). Commands that overlap (a
 * route's parallel look-ups) each count in full.
 */
export class DbTimer {
  #ms = 0;
  readonly #clients: MongoClient[] = [];
  readonly #add = (event: CommandSucceededEvent | CommandFailedEvent) => {
    this.#ms += event.duration;
  };

  /** Starts counting the commands of `client`. */
  watch(client: MongoClient): void {
    if (this.#clients.includes(client)) return;
    client.on('commandSucceeded', this.#add);
    client.on('commandFailed', this.#add);
    this.#clients.push(client);
  }

  /** Milliseconds in commands since the last call, and starts again from zero. */
  take(): number {
    const ms = this.#ms;
    this.#ms = 0;
    return ms;
  }

  /** Stops counting. */
  stop(): void {
    for (const client of this.#clients.splice(0)) {
      client.off('commandSucceeded', this.#add);
      client.off('commandFailed', this.#add);
    }
  }
}
