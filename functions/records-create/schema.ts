import { contract } from '#core/http/contract.ts';
import { RECORD_ERRORS, RecordResponse, recordData } from '#core/records/schemas.ts';

/** The body is the record's data: any JSON object up to 64 KB whose every value can be kept exactly. */
export const schema = contract({
  request: { body: recordData },
  success: { status: 201, description: 'The record, with `Location: /org/records/{id}`.', body: RecordResponse },
  errors: [400, 401, 404, 413, 415, 503],
  errorDescriptions: {
    400: RECORD_ERRORS.body400,
    404: RECORD_ERRORS.org404,
    413: RECORD_ERRORS.size413,
    503: RECORD_ERRORS.unavailable503,
  },
  example: { body: { title: 'First record', stage: 'lead', amount: 1200 } },
});
