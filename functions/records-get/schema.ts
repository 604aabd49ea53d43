import { contract } from '#core/http/contract.ts';
import { RecordIdParams, RecordResponse } from '#core/records/schemas.ts';

export const schema = contract({
  request: { params: RecordIdParams },
  success: { status: 200, description: 'The record.', body: RecordResponse },
  errors: [400, 401, 403, 404, 503],
  example: { params: { id: '0123456789abcdef01234567' } },
});
