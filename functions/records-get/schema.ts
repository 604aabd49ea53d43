import { contract } from '#core/http/contract.ts';
import { RECORD_ERRORS, RecordIdParams, RecordResponse } from '#core/records/schemas.ts';

export const schema = contract({
  request: { params: RecordIdParams },
  success: { status: 200, description: 'The record.', body: RecordResponse },
  errors: [400, 401, 404, 503],
  errorDescriptions: { 400: RECORD_ERRORS.id400, 404: RECORD_ERRORS.record404, 503: RECORD_ERRORS.unavailable503 },
  example: { params: { id: '0123456789abcdef01234567' } },
});
