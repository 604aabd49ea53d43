import type { Context } from 'aws-lambda';
import { dispatcher } from '#core/app.ts';
import { errorFields, log } from '#core/log.ts';
import { observe } from '#core/observe.ts';
import type { Dispatcher, DispatchReport } from '#core/webhooks/dispatcher.ts';

/**
 * Runs on a schedule (every minute; `npm start` every 2 seconds): delivers new events to the event bus
 * and to the organizations' webhook endpoints, and retries what is due (see `#core/webhooks/dispatcher.ts`).
 * Safe to run concurrently: a delivery is leased to one run, and one delivered twice is deduplicated by
 * its `webhook-id`.
 */
export function createHandler(service: () => Promise<Dispatcher>) {
  const run = async (): Promise<DispatchReport> => {
    try {
      const report = await (await service()).run();
      if (Object.values(report).some((n) => n > 0)) log.info('dispatched', { ...report });
      return report;
    } catch (error) {
      log.error('dispatch failed; the next run tries again', errorFields(error));
      throw error;
    }
  };
  return (_event?: unknown, context?: Context) => observe({ route: 'dispatcher', lambda: context }, run);
}

export const handler = createHandler(dispatcher());
