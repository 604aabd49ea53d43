import { RecordIdParams, RecordResponse, recordData } from '#core/records/schemas.ts';

export const ReplaceRecordParams = RecordIdParams;

/** The record's new data, replacing all of it. */
export const ReplaceRecordBody = recordData;

export const Response = RecordResponse;
