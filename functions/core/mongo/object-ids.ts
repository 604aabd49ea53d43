import { ObjectId } from 'mongodb';

/** An id from outside (token, request) that is not an ObjectId matches nothing. */
export function oid(id: string): ObjectId | null {
  return ObjectId.isValid(id) && id.length === 24 ? new ObjectId(id) : null;
}
