import { contract } from '#core/http/contract.ts';
import { ListRecordsQuery, RECORD_ERRORS, RecordListResponse } from '#core/records/schemas.ts';

/** `?limit=&cursor=&filter[<field>]=<value>` */
export const schema = contract({
  request: { query: ListRecordsQuery },
  success: {
    status: 200,
    description: 'A page of records, newest first, and the cursor of the next page.',
    body: RecordListResponse,
  },
  errors: [400, 401, 404, 503],
  errorDescriptions: { 400: RECORD_ERRORS.query400, 404: RECORD_ERRORS.org404, 503: RECORD_ERRORS.unavailable503 },
  example: { query: { limit: 10 } },
});
