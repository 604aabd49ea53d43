import { contract } from '#core/http/contract.ts';
import { ListRecordsQuery, RecordListResponse } from '#core/records/schemas.ts';

/** `?limit=&cursor=&filter[<field>]=<value>` */
export const schema = contract({
  request: { query: ListRecordsQuery },
  success: {
    status: 200,
    description: 'A page of records, newest first, and the cursor of the next page.',
    body: RecordListResponse,
  },
  errors: [400, 401, 403, 503],
  example: { query: { limit: '10' } },
});
