import { ListRecordsQuery as Query, RecordListResponse } from '#core/records/schemas.ts';

/** `?limit=&cursor=&filter[<field>]=<value>` */
export const ListRecordsQuery = Query;

export const Response = RecordListResponse;
