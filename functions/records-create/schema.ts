import { contract } from '#core/http/contract.ts';
import { RecordResponse, recordData } from '#core/records/schemas.ts';

/** The body is the record's data: any JSON object up to 64 KB. */
export const schema = contract({
  request: { body: recordData },
  success: { status: 201, description: 'The record, with `Location: /org/records/{id}`.', body: RecordResponse },
  errors: [400, 401, 403, 409, 413, 415, 503],
  example: { body: { title: 'First record', stage: 'lead', amount: 1200 } },
});
