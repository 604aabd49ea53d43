import { contract } from '#core/http/contract.ts';
import { RecordIdParams, RecordResponse, recordData } from '#core/records/schemas.ts';

export const schema = contract({
  request: { params: RecordIdParams, body: recordData },
  success: { status: 200, description: 'The record with its new data.', body: RecordResponse },
  errors: [400, 401, 403, 404, 409, 413, 415, 503],
  example: { params: { id: '0123456789abcdef01234567' }, body: { title: 'Replaced record', stage: 'won' } },
});
