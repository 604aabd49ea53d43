import type { InvitationStore } from '../invitations/stores.ts';
import type { MembershipStore } from '../members/stores.ts';
import type { AdminStore, OrganizationStore } from '../orgs/stores.ts';
import type { Settler, Verdict } from './log.ts';
import type { EventStore, StoredEvent } from './stores.ts';

/**
 * How a pending event is settled: by reading what its change leaves behind. Each rule answers
 * `commit` when the change happened, `drop` when it did not, `wait` while its operation is still
 * recorded as running (recovery finishes or undoes it, and commits or drops the event as it does).
 *
 * The rules are exact because of who settles when: an event of the `organization` or `members`
 * family is settled under that family's lock before the next change of the family is begun
 * (`EventLog.begin` with `settleFirst`), so no later change of the same kind can have overwritten the
 * evidence; the others rest on evidence that only grows (a token version, an invitation's existence).
 * A type without a rule here is recorded with `EventLog.record` after its change, never begun.
 */

export interface SettleStores {
  readonly orgs: Pick<OrganizationStore, 'findById'>;
  readonly memberships: Pick<MembershipStore, 'find'>;
  readonly admins: Pick<AdminStore, 'findById'>;
  readonly invitations?: Pick<InvitationStore, 'findById'>;
  readonly events: Pick<EventStore, 'hasLater'>;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** The settler over `stores` (see the module's rules). */
export function settlerOn(stores: SettleStores): Settler {
  return async (event: StoredEvent): Promise<Verdict> => {
    const targetId = event.target.id;
    switch (event.type) {
      case 'organization.created': {
        const org = await stores.orgs.findById(event.orgId);
        if (org) return org.status === 'creating' ? 'wait' : 'commit';
        // Gone: undone, or created and deleted (or purged) since (each begins its event before anything else).
        if (await stores.events.hasLater(event.orgId, 'organization.deleted', event.orgId, event.seq)) return 'commit';
        return (await stores.events.hasLater(event.orgId, 'organization.purged', event.orgId, event.seq)) ? 'commit' : 'drop';
      }
      case 'organization.renamed':
      case 'organization.moved': {
        const org = await stores.orgs.findById(event.orgId);
        if (!org) return 'drop';
        if (org.operation?.eventId === event.id) return 'wait';
        if (event.type === 'organization.renamed') return org.name === text(event.data.name) ? 'commit' : 'drop';
        return org.placement.mode === text(event.data.placement_mode) ? 'commit' : 'drop';
      }
      case 'organization.deleted': {
        const org = await stores.orgs.findById(event.orgId);
        return !org || org.status === 'deleting' ? 'commit' : 'drop';
      }
      case 'organization.archived': {
        // Archived by this event (its id is on the archive), or purged since: only an archive leads there.
        const org = await stores.orgs.findById(event.orgId);
        return !org || org.archive?.eventId === event.id ? 'commit' : 'drop';
      }
      case 'organization.restored': {
        const org = await stores.orgs.findById(event.orgId);
        return org && org.status !== 'archived' && org.status !== 'purging' ? 'commit' : 'drop';
      }
      case 'organization.purged': {
        // A purge only goes forward: while its organization is there, the purge is still running.
        const org = await stores.orgs.findById(event.orgId);
        if (!org) return 'commit';
        return org.purge?.eventId === event.id ? 'wait' : 'drop';
      }
      case 'member.role_changed': {
        const member = await stores.memberships.find(event.orgId, targetId);
        return member?.role === text(event.data.role) ? 'commit' : 'drop';
      }
      case 'ownership.transferred': {
        const member = await stores.memberships.find(event.orgId, targetId);
        return member?.role === 'owner' ? 'commit' : 'drop';
      }
      case 'member.removed': {
        const member = await stores.memberships.find(event.orgId, targetId);
        // Still there, unless it is a new membership (joined again since): the one removed is named by its start.
        return !member || member.createdAt.getTime() !== event.proof?.joinedAt ? 'commit' : 'drop';
      }
      case 'member.joined': {
        if (await stores.memberships.find(event.orgId, targetId)) return 'commit';
        return (await stores.events.hasLater(event.orgId, 'member.removed', targetId, event.seq)) ? 'commit' : 'drop';
      }
      case 'member.invited': {
        const id = text(event.data.invitation_id);
        return id && (await stores.invitations?.findById(event.orgId, id)) ? 'commit' : 'drop';
      }
      case 'email.changed': {
        const user = await stores.admins.findById(targetId);
        return user && user.email === event.proof?.email ? 'commit' : 'drop';
      }
      case 'email.verified': {
        const user = await stores.admins.findById(targetId);
        return user?.emailVerifiedAt && user.email === event.proof?.email ? 'commit' : 'drop';
      }
      case 'two_factor.enabled':
      case 'two_factor.disabled': {
        const user = await stores.admins.findById(targetId);
        const on = user?.twoFactor?.enabledAt !== undefined;
        return user && on === (event.type === 'two_factor.enabled') ? 'commit' : 'drop';
      }
      case 'password.changed':
      case 'password.reset':
      case 'tokens.revoked': {
        // Each of these raises the user's token version; it never goes down.
        const user = await stores.admins.findById(targetId);
        const before = event.proof?.tokenVersion;
        return user && typeof before === 'number' && user.tokenVersion > before ? 'commit' : 'drop';
      }
      default:
        return 'drop';
    }
  };
}
