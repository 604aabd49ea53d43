import { z } from 'zod';
import { RecordIdParams } from '#core/records/schemas.ts';

export const DeleteRecordParams = RecordIdParams;

/** 204: no body. */
export const Response = z.undefined();
