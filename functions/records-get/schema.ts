import { RecordIdParams, RecordResponse } from '#core/records/schemas.ts';

export const GetRecordParams = RecordIdParams;

export const Response = RecordResponse;
