import { contract } from '#core/http/contract.ts';
import { RECORD_ERRORS, RecordIdParams, RecordResponse, recordData } from '#core/records/schemas.ts';

export const schema = contract({
  request: { params: RecordIdParams, body: recordData },
  success: { status: 200, description: 'The record with its new data.', body: RecordResponse },
  errors: [400, 401, 404, 413, 415, 503],
  errorDescriptions: {
    400: RECORD_ERRORS.body400,
    404: RECORD_ERRORS.record404,
    413: RECORD_ERRORS.size413,
    503: RECORD_ERRORS.unavailable503,
  },
  example: { params: { id: '0123456789abcdef01234567' }, body: { title: 'Replaced record', stage: 'won' } },
});
