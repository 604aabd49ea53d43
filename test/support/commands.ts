import type { CommandStartedEvent, MongoClient } from 'mongodb';

/**
 * Every command `run` makes `client` start, in order, as the driver's command monitoring reports it
 * (the client must be made with `monitorCommands: true`), each written by `describe`: by default
 * `<commandName> <collection>`. Events `describe` answers `undefined` for are left out.
 */
export async function commandsStarted(
  client: MongoClient,
  run: () => Promise<unknown>,
  describe: (event: CommandStartedEvent) => string | undefined = (event) =>
    `${event.commandName} ${String(event.command[event.commandName] ?? '')}`,
): Promise<string[]> {
  const started: string[] = [];
  const listener = (event: CommandStartedEvent) => {
    const line = describe(event);
    if (line !== undefined) started.push(line);
  };
  client.on('commandStarted', listener);
  try {
    await run();
  } finally {
    client.off('commandStarted', listener);
  }
  return started;
}
