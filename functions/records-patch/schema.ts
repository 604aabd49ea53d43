import { contract } from '#core/http/contract.ts';
import { RECORD_ERRORS, RecordIdParams, RecordResponse, recordData } from '#core/records/schemas.ts';

/** The body is a JSON Merge Patch (RFC 7386) of the record's top-level fields. */
export const schema = contract({
  request: { params: RecordIdParams, body: recordData, bodyTypes: ['application/json', 'application/merge-patch+json'] },
  success: { status: 200, description: 'The record with the fields merged (null removes a field).', body: RecordResponse },
  errors: [400, 401, 404, 409, 413, 415, 503],
  errorDescriptions: {
    400: RECORD_ERRORS.body400,
    404: RECORD_ERRORS.record404,
    409: RECORD_ERRORS.busy409,
    413: RECORD_ERRORS.size413,
    503: RECORD_ERRORS.unavailable503,
  },
  example: { params: { id: '0123456789abcdef01234567' }, body: { stage: 'won', amount: null } },
});
