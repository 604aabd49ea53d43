import { afterAll, describe, expect, it, vi } from 'vitest';
import { databaseConfig } from '#core/config.ts';
import { closeMongoClient, getMongoClient, replaceMongoClient } from '#core/mongo/client.ts';
import { callDatabase } from '#core/mongo/errors.ts';

/**
 * Replacing the container's client (after it stayed unusable) must not pull the client from under
 * a call that is still running: the old client is closed only once every call that was running
 * when it was replaced has ended, and later calls go to the new one through the same handle.
 */

afterAll(() => closeMongoClient());

describe('Client replacement', () => {
  it('lets a running call finish on the old client, closes that client afterwards, and serves later calls', async () => {
    const client = await getMongoClient(databaseConfig());
    const records = client.db(process.env.MASTER_DB_NAME).collection<{ n: number }>('replacement');
    expect(client.db(process.env.MASTER_DB_NAME).collection('replacement')).toBe(records); // made once, kept
    await records.insertMany(Array.from({ length: 6 }, (_, n) => ({ n })));
    let oldClosed = false;
    client.once('topologyClosed', () => {
      oldClosed = true; // registered on the client current now, the one about to be replaced
    });

    const running = callDatabase(async () => {
      const cursor = records.find({}, { batchSize: 2 }).sort({ n: 1 }); // several round trips
      const first = await cursor.next();
      await replaceMongoClient('test');
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(oldClosed).toBe(false);
      return [first, ...(await cursor.toArray())].map((doc) => doc?.n);
    });

    expect(await running).toEqual([0, 1, 2, 3, 4, 5]);
    await vi.waitFor(() => expect(oldClosed).toBe(true));
    expect(await callDatabase(() => records.countDocuments())).toBe(6);
  });
});
