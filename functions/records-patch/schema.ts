import { RecordIdParams, RecordResponse, recordData } from '#core/records/schemas.ts';

export const PatchRecordParams = RecordIdParams;

/** Top-level fields to set; a field set to null is removed (JSON Merge Patch at the top level). */
export const PatchRecordBody = recordData;

export const Response = RecordResponse;
