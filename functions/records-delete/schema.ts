import { contract } from '#core/http/contract.ts';
import { RecordIdParams } from '#core/records/schemas.ts';

export const schema = contract({
  request: { params: RecordIdParams },
  success: { status: 204, description: 'The record is gone.' },
  errors: [400, 401, 403, 404, 409, 503],
  example: { params: { id: '0123456789abcdef01234567' } },
});
