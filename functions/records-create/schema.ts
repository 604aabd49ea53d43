import { RecordResponse, recordData } from '#core/records/schemas.ts';

/** The body is the record's data: any JSON object up to 64 KB. */
export const CreateRecordBody = recordData;

/** 201, with `Location: /org/records/{id}`. */
export const Response = RecordResponse;
