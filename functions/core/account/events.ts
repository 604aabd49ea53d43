import { type EventLog, userActor } from '../events/log.ts';
import type { EventType } from '../events/model.ts';
import { errorFields, log } from '../log.ts';
import type { MembershipStore } from '../members/stores.ts';

/**
 * The events of a user's own account (a password changed or reset, an address changed or verified,
 * two-factor authentication turned on or off), recorded in the audit log of every organization the
 * user belongs to: each is begun `pending` before the change and committed after it, and the rules
 * of `#core/events/settle.ts` decide one whose run died by the state the change leaves.
 */

export type AccountEventType = Extract<
  EventType,
  'password.changed' | 'password.reset' | 'email.changed' | 'email.verified' | 'two_factor.enabled' | 'two_factor.disabled'
>;

/** How many of a user's organizations an account event is recorded in at most. */
const MAX_ORGANIZATIONS = 100;

export interface AccountAudit {
  /**
   * Runs `change` between the begin and the commit of a `type` event about `userId` in each of the
   * user's organizations. `proof` is what settling compares with (never shown); `data` is shown.
   *
   * @throws what `change` throws, or a store failure of a begin (then `change` never ran).
   */
  around<T>(
    userId: string,
    type: AccountEventType,
    change: () => Promise<T>,
    options?: { proof?: Record<string, unknown>; data?: Record<string, unknown> },
  ): Promise<T>;
}

/** The account audit over the event log and the memberships (to find the user's organizations). */
export function accountAudit(events: EventLog, memberships: Pick<MembershipStore, 'listByUser'>): AccountAudit {
  return {
    async around(userId, type, change, options = {}) {
      const orgIds = (await memberships.listByUser(userId, MAX_ORGANIZATIONS)).map((m) => m.orgId);
      const begun = await Promise.all(
        orgIds.map((orgId) =>
          events.begin(
            {
              orgId,
              type,
              actor: userActor(userId), // the user acts on their own account, logged in or through a link
              target: { type: 'user', id: userId },
              ...(options.data ? { data: options.data } : {}),
            },
            options.proof ? { proof: options.proof } : {},
          ),
        ),
      );
      let result: Awaited<ReturnType<typeof change>>;
      try {
        result = await change();
      } catch (error) {
        await Promise.all(begun.map((event) => events.settle(event.id))).catch((settleError) =>
          log.warn('account event not settled; the reconciler will', errorFields(settleError)),
        );
        throw error;
      }
      await Promise.all(begun.map((event) => events.commitAfter(event.id)));
      return result;
    },
  };
}
