import type { CommandFailedEvent, CommandSucceededEvent, MongoClient } from 'mongodb';

/** Milliseconds in database commands: all of them, and those on the master database. */
export interface DbTime {
  readonly ms: number;
  readonly masterMs: number;
}

/**
 * The time a client spends in database commands, from the driver's command monitoring (the client
 * must be made with `monitorCommands: true`, e.g. `?monitorCommands=true` in its URI): for each
 * command, from sending it to its reply (the network and the server). Commands that overlap (a
 * route's parallel look-ups) each count in full. Commands on `masterDb` are also counted apart: the
 * master look-ups, as against the organization's own place.
 */
export class DbTimer {
  #ms = 0;
  #masterMs = 0;
  readonly #masterDb: string;
  readonly #clients: MongoClient[] = [];
  readonly #add = (event: CommandSucceededEvent | CommandFailedEvent) => {
    this.#ms += event.duration;
    if (event.databaseName === this.#masterDb) this.#masterMs += event.duration;
  };

  constructor(masterDb: string) {
    this.#masterDb = masterDb;
  }

  /** Starts counting the commands of `client`. */
  watch(client: MongoClient): void {
    if (this.#clients.includes(client)) return;
    client.on('commandSucceeded', this.#add);
    client.on('commandFailed', this.#add);
    this.#clients.push(client);
  }

  /** Milliseconds in commands since the last call, and starts again from zero. */
  take(): DbTime {
    const time = { ms: this.#ms, masterMs: this.#masterMs };
    this.#ms = 0;
    this.#masterMs = 0;
    return time;
  }

  /** Stops counting. */
  stop(): void {
    for (const client of this.#clients.splice(0)) {
      client.off('commandSucceeded', this.#add);
      client.off('commandFailed', this.#add);
    }
  }
}
