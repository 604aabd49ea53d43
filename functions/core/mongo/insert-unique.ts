import type { Collection, Document, OptionalUnlessRequiredId } from 'mongodb';
import { isDuplicateKey } from './compat.ts';

/**
 * Inserts `doc` into `col` unless a unique index (`_id` or another) already holds its key: true when
 * it was inserted, false when the key was taken. One insert, atomic on every server, so of concurrent
 * inserts of one key exactly one gets true. Any other failure is thrown.
 *
 * @example
 * if (!(await insertUnique(claims, { _id: slug, orgId, claimedAt }))) return 'taken';
 */
export async function insertUnique<T extends Document>(col: Collection<T>, doc: OptionalUnlessRequiredId<T>): Promise<boolean> {
  try {
    await col.insertOne(doc);
    return true;
  } catch (error) {
    if (isDuplicateKey(error)) return false;
    throw error;
  }
}
