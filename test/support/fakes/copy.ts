/**
 * What a database round trip does to a value: the caller gets its own copy (Dates stay Dates), so
 * neither the caller nor the fake can change the other's objects afterwards.
 */
export const copy = <T>(value: T): T => structuredClone(value);

/** True for an id in ObjectId form (24 hex digits); the MongoDB adapters find nothing under any other. */
export const isObjectId = (id: string): boolean => /^[0-9a-f]{24}$/.test(id);
