import type { PasswordHasher } from '../auth/passwords.ts';
import type { Caller } from '../auth/tokens.ts';
import { ConflictError, ForbiddenError, NotFoundError } from '../errors.ts';
import { newId } from '../ids.ts';
import { errorFields, log } from '../log.ts';
import type { PlacementPolicy } from '../tenancy/router.ts';
import { OperationLocks, operationInProgress } from './locks.ts';
import {
  legacySlug,
  type Operation,
  type OperationLock,
  type Organization,
  type PlacementMode,
  samePlace,
  toSlug,
} from './model.ts';
import type { OrgStores } from './stores.ts';

/**
 * The organization use cases. MongoDB gives us atomic single-document writes and no multi-document
 * transactions here, so create, rename and delete are ordered, idempotent steps:
 *
 * - the organization document carries a status and, while a change runs, an `operation` with its
 *   start time (the lease);
 * - a step that fails is compensated at once (create and rename roll back);
 * - a run that died midway (the container was killed) leaves the operation on the document; once its
 *   lease has passed, the next request that meets it, or {@link OrganizationService.reconcile}, finishes
 *   it (rename, delete) or undoes it (create).
 *
 * Names are reserved in `org_names` by inserting the slug as `_id`, which is atomic on every MongoDB
 * flavour; an organization holds its old and its new name while a rename runs, so the old collection
 * name can never be handed to somebody else before the data has left it.
 *
 * Every change to an existing organization's document is made under its operation lock (an insert
 * into `org_locks`, see {@link OperationLock}): a conditional update alone is not a safe mutex on every
 * server, and two changes interleaving on one document could lose one of them.
 *
 * Moving data (a rename in collection mode, a move between modes) fences records writes: the status
 * says so while it runs, and `placementVersion` goes up when it ends, committed or undone. The records
 * service checks both after each write, so no write is acknowledged unless it is in the place that
 * holds the data afterwards (see `#core/records/service.ts`).
 */

export interface OrgServiceDeps {
  readonly stores: OrgStores;
  readonly hasher: PasswordHasher;
  /** Where data goes: new organizations, renames and moves. */
  readonly placements: PlacementPolicy;
  /** How long an operation may run before another request may take it over. */
  readonly leaseMs: number;
  readonly now?: () => Date;
}

/** One thing {@link OrganizationService.reconcile} could not settle, and why (error name and message). */
export interface ReconcileFailure {
  readonly step: 'settle' | 'name' | 'lock' | 'place';
  /** The organization id, the slug, or `database.collection`. */
  readonly subject: string;
  readonly error: string;
}

/** What a reconcile run did: counts of what it settled and freed, and what it could not settle. */
export interface ReconcileReport {
  readonly settled: number;
  readonly namesFreed: number;
  readonly locksFreed: number;
  readonly placesFreed: number;
  readonly failures: readonly ReconcileFailure[];
}

export interface CreateInput {
  readonly name: string;
  readonly email: string;
  readonly password: string;
}

export interface UpdateInput {
  readonly name: string;
  readonly newName?: string;
  readonly email?: string;
  readonly password?: string;
}

const nameTaken = () => new ConflictError('organization_name_taken', 'An organization with this name already exists.');
const emailTaken = () => new ConflictError('email_taken', 'This email already belongs to an admin.');
const busy = operationInProgress;
const notFound = () => new NotFoundError('organization_not_found', 'No organization has this name.');
const nextVersion = (org: Organization) => (org.placementVersion ?? 0) + 1;
/** The fencing token a change of `op`'s organization document must present (`null`: an operation from before owners). */
const ownerOf = (op: Operation): string | null => ('owner' in op ? (op.owner ?? null) : null);

export class OrganizationService {
  readonly #deps: OrgServiceDeps;
  readonly #now: () => Date;
  readonly #locks: OperationLocks;

  constructor(deps: OrgServiceDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? (() => new Date());
    this.#locks = new OperationLocks(deps.stores.locks, deps.leaseMs, this.#now);
  }

  get #s(): OrgStores {
    return this.#deps.stores;
  }

  #expired(startedAt: Date): boolean {
    return this.#locks.lapsed(startedAt);
  }

  // ---------------------------------------------------------------- create

  async create(input: CreateInput): Promise<{ org: Organization; adminEmail: string }> {
    const slug = toSlug(input.name);
    if (await this.#underLegacyKey(input.name, slug)) throw nameTaken();
    const passwordHash = await this.#deps.hasher.hash(input.password); // slow; before any write
    const now = this.#now();
    const id = newId();
    const org: Organization = {
      id,
      name: input.name,
      slug,
      status: 'creating',
      placement: this.#deps.placements.forNew({ slug }),
      adminId: newId(),
      createdAt: now,
      updatedAt: now,
      operation: { kind: 'create', startedAt: now },
    };

    await this.#claimName(slug, org.id);
    try {
      // The slug index backs the claim up: a deleted organization's document may linger an instant, or
      // stay behind a delete that died after releasing the name; finish that delete and try once more.
      if ((await this.#s.orgs.insert(org)) === 'slug_taken') {
        const holder = await this.#s.orgs.findBySlug(slug);
        if (!holder || !(await this.#settleIfAbandoned(holder.id)) || (await this.#s.orgs.insert(org)) === 'slug_taken') {
          throw nameTaken();
        }
      }
      if ((await this.#insertAdmin(org, input.email, passwordHash)) === 'email_taken') throw emailTaken();
      await this.#s.tenants.create(org.placement);
      const active = await this.#s.orgs.transition(org.id, ['creating'], { status: 'active', operation: null });
      if (!active) throw busy(); // undone by a reconciler that thought this run dead
      return { org: active, adminEmail: input.email };
    } catch (error) {
      await this.#undoCreate(org).catch((undoError) =>
        log.error('create rollback failed; reconcile will finish it', { orgId: org.id, ...errorFields(undoError) }),
      );
      throw error;
    }
  }

  async #insertAdmin(org: Organization, email: string, passwordHash: string): Promise<'ok' | 'email_taken'> {
    const admin = {
      id: org.adminId,
      email,
      passwordHash,
      orgId: org.id,
      tokenVersion: 0,
      createdAt: org.createdAt,
      updatedAt: org.createdAt,
    };
    const first = await this.#s.admins.insert(admin);
    if (first === 'ok') return first;
    // The email may belong to an abandoned half-created organization: settle it and try once more.
    const holder = await this.#s.admins.findByEmail(email);
    if (holder && holder.orgId !== org.id && (await this.#settleIfAbandoned(holder.orgId))) {
      return this.#s.admins.insert(admin);
    }
    return first;
  }

  async #undoCreate(org: Organization): Promise<void> {
    await this.#s.tenants.drop(org.placement);
    await this.#s.admins.removeByOrg(org.id);
    const current = await this.#s.orgs.findById(org.id);
    if (current && current.status === 'creating') await this.#s.orgs.remove(org.id);
    if (!current || current.status === 'creating') await this.#s.names.releaseAllOf(org.id);
  }

  /** Reserves `slug` for `orgId`, clearing a reservation left by a dead run first; 409 if held. */
  async #claimName(slug: string, orgId: string): Promise<void> {
    const claim = { slug, orgId, claimedAt: this.#now() };
    if (await this.#s.names.claim(claim)) return;
    const holder = await this.#s.names.find(slug);
    if (holder?.orgId === orgId) return; // ours from an earlier run of the same operation
    if (holder && (await this.#settleClaim(holder.slug, holder.orgId, holder.claimedAt))) {
      if (await this.#s.names.claim(claim)) return;
    }
    throw nameTaken();
  }

  /** Frees a claim whose holder no longer uses it; true when it was freed. */
  async #settleClaim(slug: string, orgId: string, claimedAt: Date): Promise<boolean> {
    const org = await this.#s.orgs.findById(orgId);
    if (org && this.#abandoned(org)) {
      if (!(await this.#trySettle(org))) return false; // its run is alive after all
      const after = await this.#s.names.find(slug);
      return after === null || after.orgId !== orgId;
    }
    const inUse = org && (org.slug === slug || (org.operation?.kind === 'rename' && org.operation.toSlug === slug));
    if (inUse || !this.#expired(claimedAt)) return false;
    await this.#s.names.release(slug, orgId);
    return true;
  }

  /**
   * Settles the organization's dead operation if it has one (a delete at once: deletes are idempotent
   * and may overlap); true when the organization is gone and no longer blocks a name or an email.
   */
  async #settleIfAbandoned(orgId: string): Promise<boolean> {
    const org = await this.#s.orgs.findById(orgId);
    if (!org) {
      await this.#s.admins.removeByOrg(orgId);
      return true;
    }
    if (!this.#abandoned(org) || !(await this.#trySettle(org))) return false;
    return (await this.#s.orgs.findById(orgId)) === null;
  }

  /** Settles `org` as a request may; false when its run turned out to be alive (it renews its lease). */
  async #trySettle(org: Organization): Promise<boolean> {
    try {
      await this.#settle(org, 'request');
      return true;
    } catch (error) {
      if (error instanceof ConflictError) return false;
      throw error;
    }
  }

  /** True when the organization's operation may be settled by someone else now. */
  #abandoned(org: Organization): boolean {
    if (org.status === 'deleting') return true;
    return org.operation !== undefined && this.#expired(org.operation.startedAt);
  }

  /**
   * Settles the organization's operation if its run died (its lease has passed), as a request may:
   * a dead create is undone, a dead rename or delete finished, and a dead move undone (a request never
   * runs a whole copy; the operator runs the move again). For the records routes, which meet dead
   * operations as refused writes. Returns the organization as it is afterwards (null when gone).
   */
  async settleAbandoned(orgId: string): Promise<Organization | null> {
    const org = await this.#s.orgs.findById(orgId);
    if (!org || !this.#abandoned(org)) return org;
    await this.#trySettle(org); // false: somebody else is settling it, or its run is alive
    return this.#s.orgs.findById(orgId);
  }

  // ---------------------------------------------------------------- read

  /** The organization a name refers to, if it is live (not being created or deleted). */
  async get(name: string): Promise<Organization> {
    const org = await this.#findByName(name);
    if (!org || org.status === 'creating' || org.status === 'deleting') throw notFound();
    return org;
  }

  /**
   * The organization whose name has the key `name` has (see `toSlug`), or null. It is the answer only
   * if its own name has that key, so a lookup never answers with another name's organization.
   */
  async #findByName(name: string): Promise<Organization | null> {
    const slug = toSlug(name);
    const org = await this.#s.orgs.findBySlug(slug);
    if (org && toSlug(org.name) === slug) return org;
    return this.#underLegacyKey(name, slug);
  }

  /**
   * An organization made under the earlier ASCII-only key that still carries it (`legacySlug`), and
   * whose name has today's key `slug`: "Иван 1" kept `1`, so "Ольга 1" (`1` too) never finds it.
   */
  async #underLegacyKey(name: string, slug: string): Promise<Organization | null> {
    const legacy = legacySlug(name);
    if (!legacy || legacy === slug) return null;
    const org = await this.#s.orgs.findBySlug(legacy);
    return org && toSlug(org.name) === slug ? org : null;
  }

  /** The organization `name` refers to, owned by the caller; settles a dead operation on the way. */
  async #owned(caller: Caller, name: string): Promise<Organization> {
    let org = await this.#findByName(name);
    if (!org || org.status === 'creating') throw notFound();
    if (org.id !== caller.orgId) throw new ForbiddenError('not_your_organization', 'You may only manage your own organization.');
    if (org.operation && org.status !== 'deleting' && this.#expired(org.operation.startedAt)) {
      await this.#settle(org, 'request');
      org = await this.#s.orgs.findById(org.id);
      if (!org) throw notFound();
    }
    return org;
  }

  // ---------------------------------------------------------------- take-overs

  /**
   * Makes the run holding `lock` the owner of the organization's operation, if `current`'s owner still
   * owns it (one conditional update, so of a take-over and the old owner's own commit only one applies).
   * `changes` go in with it (a move's new target). 409 if the operation changed meanwhile.
   */
  async #takeOver(current: Organization, lock: OperationLock, changes: Partial<Operation> = {}): Promise<Organization> {
    const op = current.operation;
    if (!op) throw busy();
    const operation = { ...op, ...changes, owner: lock.lockId } as Operation;
    const taken = await this.#s.orgs.transition(current.id, [current.status], { operation }, ownerOf(op));
    if (!taken) throw busy();
    return taken;
  }

  // ---------------------------------------------------------------- update

  async update(caller: Caller, input: UpdateInput): Promise<Organization> {
    const found = await this.#owned(caller, input.name);
    if (found.status !== 'active') throw found.status === 'deleting' ? notFound() : busy();

    const admin = await this.#s.admins.findById(caller.adminId);
    if (!admin || admin.orgId !== found.id)
      throw new ForbiddenError('not_your_organization', 'You may only manage your own organization.');

    return this.#locks.hold(found.id, 'update', async (lock) => {
      const org = await this.#s.orgs.findById(found.id); // as it is now that nobody else may change it
      if (org?.status !== 'active') throw org && org.status !== 'deleting' ? busy() : notFound();
      return await this.#update(org, admin, input, lock);
    });
  }

  async #update(
    org: Organization,
    admin: { id: string; email: string; passwordHash: string },
    input: UpdateInput,
    lock: OperationLock,
  ): Promise<Organization> {
    const newName = input.newName;
    const newSlug = newName === undefined ? undefined : toSlug(newName);
    const moving = newSlug !== undefined && newSlug !== org.slug;
    if (moving && newName !== undefined) {
      const holder = await this.#underLegacyKey(newName, newSlug);
      if (holder && holder.id !== org.id) throw nameTaken();
      await this.#claimName(newSlug, org.id);
    }

    let credentialsChanged = false;
    try {
      if (input.email !== undefined || input.password !== undefined) {
        const changes = {
          ...(input.email !== undefined ? { email: input.email } : {}),
          ...(input.password !== undefined ? { passwordHash: await this.#deps.hasher.hash(input.password) } : {}),
        };
        const result = await this.#s.admins.updateCredentials(admin.id, changes, this.#now());
        if (result === 'email_taken') throw emailTaken();
        credentialsChanged = true;
      }

      if (newName === undefined || newSlug === undefined) {
        return (await this.#s.orgs.transition(org.id, ['active'], { updatedAt: this.#now() })) ?? org;
      }
      if (!moving) {
        const renamed = await this.#s.orgs.transition(org.id, ['active'], { name: newName, updatedAt: this.#now() });
        if (!renamed) throw busy();
        return renamed;
      }
      return await this.#rename(org, newName, newSlug, lock);
    } catch (error) {
      if (moving) {
        // Once marked, a rename only goes forward: one more try here, else the next request that meets
        // it or the reconciler finishes it. Before the mark nothing has moved: free the new name.
        const forward = await this.#retryRename(org.id, newSlug, lock).catch((retryError) => {
          log.error('rename not finished; the next request or reconcile will', { orgId: org.id, ...errorFields(retryError) });
          return 'pending' as const;
        });
        if (typeof forward === 'object') return forward;
        if (forward === 'not_marked') {
          await this.#s.names
            .release(newSlug, org.id)
            .catch((undoError) =>
              log.error('new name not released; reconcile will free it', { orgId: org.id, ...errorFields(undoError) }),
            );
        }
      }
      if (credentialsChanged) {
        await this.#s.admins
          .updateCredentials(admin.id, { email: admin.email, passwordHash: admin.passwordHash }, this.#now())
          .catch((undoError) => log.error('credential rollback failed', { orgId: org.id, ...errorFields(undoError) }));
      }
      throw error;
    }
  }

  async #rename(org: Organization, toName: string, toSlug: string, lock: OperationLock): Promise<Organization> {
    const from = org.placement;
    const to = this.#deps.placements.forRename(from, toSlug);
    // Recorded before anything moves, so that a retry can tell the data from a stray a late write made.
    const sourceId = samePlace(from, to) ? undefined : await this.#s.tenants.identify(from);
    const operation = {
      kind: 'rename' as const,
      owner: lock.lockId,
      startedAt: this.#now(),
      toName,
      toSlug,
      from,
      to,
      ...(sourceId ? { sourceId } : {}),
    };
    const marked = await this.#s.orgs.transition(org.id, ['active'], { status: 'renaming', operation });
    if (!marked) throw busy();
    return this.#finishRename(marked);
  }

  /**
   * After a failed step of a rename to `toSlug`: the organization if the rename is done (this run
   * finishes it if it owns it, or a run that took it over has), `pending` if another run owns it now,
   * `not_marked` if it never began (nothing moved; the new name may be freed).
   */
  async #retryRename(orgId: string, toSlug: string, lock: OperationLock): Promise<Organization | 'not_marked' | 'pending'> {
    const current = await this.#s.orgs.findById(orgId);
    if (!current) return 'pending';
    if (current.slug === toSlug && current.status !== 'renaming') return current; // taken over and finished
    const op = current.operation;
    if (op?.kind !== 'rename') return 'not_marked';
    if (op.owner !== lock.lockId) return 'pending';
    return this.#finishRename(current);
  }

  /**
   * Rolls a rename forward from wherever it stopped, as the operation's owner. Every step is
   * idempotent; the commit requires the owner's fencing token, so a run that was taken over changes
   * nothing (moving the collection again is a no-op: the collection is known by its identity).
   */
  async #finishRename(org: Organization): Promise<Organization> {
    const op = org.operation;
    if (op?.kind !== 'rename') throw new Error('no rename in progress');
    const moves = !samePlace(op.from, op.to);
    if (moves) await this.#s.tenants.move(op.from, op.to, op.sourceId);
    const done = await this.#s.orgs.transition(
      org.id,
      ['renaming'],
      {
        name: op.toName,
        slug: op.toSlug,
        placement: op.to,
        status: 'active',
        updatedAt: this.#now(),
        operation: null,
        ...(moves ? { placementVersion: nextVersion(org) } : {}),
      },
      ownerOf(op),
    );
    if (!done) throw busy();
    // Committed. The rest is cleanup; reconcile finishes it if it fails. The old place's name is never
    // used again, so whatever is there now is a stray a late write made: remove it.
    if (moves) {
      await this.#s.tenants
        .drop(op.from)
        .catch((error) => log.warn('old place not removed; reconcile will', { orgId: org.id, ...errorFields(error) }));
    }
    await this.#s.names
      .release(org.slug, org.id)
      .catch((error) => log.warn('old name not released; reconcile will free it', { orgId: org.id, ...errorFields(error) }));
    return done;
  }

  // ---------------------------------------------------------------- move

  /**
   * Moves an organization's data to a new place in `mode` (an operator's action): the organization is
   * marked `moving` (records writes are refused, reads still served from the current place), the data
   * is copied and verified, the placement switched, the old place removed. A failure undoes the move;
   * a run that died is finished by the next request that meets it, or by {@link reconcile}.
   */
  async move(ref: { readonly id?: string; readonly name?: string }, mode: PlacementMode): Promise<Organization> {
    let org = ref.id !== undefined ? await this.#s.orgs.findById(ref.id) : await this.#findByName(ref.name ?? '');
    if (!org || org.status === 'creating' || org.status === 'deleting') throw notFound();
    if (org.operation && this.#expired(org.operation.startedAt)) {
      await this.#settle(org, 'operator');
      org = await this.#s.orgs.findById(org.id);
      if (!org) throw notFound();
    }
    if (org.status !== 'active') throw busy();
    if (org.placement.mode === mode) return org;

    return this.#locks.hold(org.id, 'move', async (lock) => {
      const current = await this.#s.orgs.findById(org.id);
      if (current?.status !== 'active') throw current ? busy() : notFound();
      if (current.placement.mode === mode) return current;
      const operation = {
        kind: 'move' as const,
        owner: lock.lockId,
        startedAt: this.#now(),
        from: current.placement,
        to: this.#deps.placements.forNew(current, mode),
      };
      const marked = await this.#s.orgs.transition(org.id, ['active'], { status: 'moving', operation });
      if (!marked) throw busy();
      return await this.#runMove(marked);
    });
  }

  /** Finishes a move this run owns, or undoes it if a step fails. */
  async #runMove(marked: Organization): Promise<Organization> {
    try {
      return await this.#finishMove(marked);
    } catch (error) {
      await this.#undoMove(marked).catch((undoError) =>
        log.error('move rollback failed; reconcile will finish the move', { orgId: marked.id, ...errorFields(undoError) }),
      );
      throw error;
    }
  }

  /**
   * Rolls a move forward as the operation's owner: copy and verify into the owner's own target (from
   * scratch, so a retry is safe), switch (requires the owner's fencing token), remove the old place.
   */
  async #finishMove(org: Organization): Promise<Organization> {
    const op = org.operation;
    if (op?.kind !== 'move') throw new Error('no move in progress');
    await this.#s.tenants.copy(op.from, op.to);
    const done = await this.#s.orgs.transition(
      org.id,
      ['moving'],
      {
        placement: op.to,
        status: 'active',
        updatedAt: this.#now(),
        operation: null,
        placementVersion: nextVersion(org),
      },
      ownerOf(op),
    );
    if (!done) throw busy();
    await this.#s.tenants
      .drop(op.from)
      .catch((error) => log.warn('old place not removed; reconcile will', { orgId: org.id, ...errorFields(error) }));
    return done;
  }

  /**
   * Undoes a move `org`'s operation owner started and has not committed: the data never left its
   * place. The switch back requires that owner's fencing token; the owner's target is dropped either
   * way (no other run ever copies to it, and it was not committed), unless it is the placement now.
   */
  async #undoMove(org: Organization): Promise<void> {
    const op = org.operation;
    if (op?.kind !== 'move') return;
    const current = await this.#s.orgs.findById(org.id);
    if (!current || samePlace(current.placement, op.to)) return; // gone, or committed after all
    if (current.status === 'moving') {
      await this.#s.orgs.transition(
        org.id,
        ['moving'],
        { status: 'active', operation: null, placementVersion: nextVersion(current) },
        ownerOf(op),
      );
    }
    await this.#s.tenants.drop(op.to);
  }

  // ---------------------------------------------------------------- delete

  async delete(caller: Caller, name: string): Promise<Organization> {
    const org = await this.#owned(caller, name);
    if (org.status === 'renaming' || org.status === 'moving') throw busy();
    if (org.status === 'deleting') {
      await this.#finishDelete(org); // a retry: finish what the earlier run started
      return org;
    }
    await this.#locks.shareForDelete(org.id);
    const marked = await this.#s.orgs.transition(org.id, ['active'], {
      status: 'deleting',
      operation: { kind: 'delete', startedAt: this.#now() },
    });
    if (!marked) {
      await this.#s.locks.release(org.id).catch(() => undefined);
      throw busy();
    }
    await this.#finishDelete(marked);
    return marked;
  }

  async #finishDelete(org: Organization): Promise<void> {
    await this.#s.tenants.drop(org.placement);
    if (org.operation?.kind === 'rename' || org.operation?.kind === 'move') {
      await this.#s.tenants.drop(org.operation.from);
      await this.#s.tenants.drop(org.operation.to);
    }
    await this.#s.sessions.removeByOrg(org.id);
    await this.#s.admins.removeByOrg(org.id);
    await this.#s.names.releaseAllOf(org.id);
    await this.#s.locks.release(org.id);
    await this.#s.orgs.remove(org.id);
  }

  // ---------------------------------------------------------------- reconcile

  /**
   * Finishes or undoes one organization's interrupted operation, under its lock. `by` says who asks: a
   * `request` undoes a dead move (bounded work), the `operator` (the reconciler, the move script)
   * finishes it.
   */
  async #settle(org: Organization, by: 'request' | 'operator'): Promise<void> {
    if (org.status === 'active') return;
    if (org.status === 'deleting') {
      await this.#locks.shareForDelete(org.id);
      await this.#finishDelete(org);
      return;
    }
    // 409 while the run that owns it renews its lease
    await this.#locks.hold(org.id, 'settle', async (lock) => {
      const current = await this.#s.orgs.findById(org.id);
      const op = current?.operation;
      if (!current || !op) return;
      switch (current.status) {
        case 'creating':
          await this.#undoCreate(current);
          return;
        case 'renaming':
          await this.#finishRename(await this.#takeOver(current, lock));
          return;
        case 'moving': {
          if (op.kind !== 'move') return;
          if (by === 'request') {
            await this.#undoMove(current);
            return;
          }
          // Copy to a place of our own: the run we take over may still be copying to its target.
          const taken = await this.#takeOver(current, lock, { to: this.#deps.placements.forNew(current, op.to.mode) });
          await this.#s.tenants.drop(op.to);
          await this.#finishMove(taken);
          return;
        }
        default:
          return;
      }
    });
  }

  /**
   * Settles every operation whose lease has passed, frees every name reservation and lock nobody uses,
   * and removes every place (collection or database) no organization uses, such as a place a move
   * left behind or one a late write created after its organization had left it. A place's name is
   * never used again (see `collectionPlacement`), so a place found unused stays unused.
   *
   * One organization that cannot be settled (a server refusal, a bug) does not stop the others: each
   * failure is logged and listed in `failures`, and the rest goes on. A dead move is finished.
   * Safe to run at any time and from several places at once; run it on a schedule or after an outage.
   */
  async reconcile(): Promise<ReconcileReport> {
    const before = new Date(this.#now().getTime() - this.#deps.leaseMs);
    const report = { settled: 0, namesFreed: 0, locksFreed: 0, placesFreed: 0, failures: [] as ReconcileFailure[] };
    const attempt = async (step: ReconcileFailure['step'], subject: string, run: () => Promise<void>) => {
      try {
        await run();
      } catch (error) {
        if (error instanceof ConflictError) return; // a live run holds it; it is not ours to settle now
        const fields = errorFields(error);
        log.error('reconcile could not settle this; it goes on with the rest', { step, subject, ...fields });
        report.failures.push({ step, subject, error: `${fields.errorName}: ${fields.errorMessage ?? ''}` });
      }
    };

    for (const org of await this.#s.orgs.listUnsettled(before)) {
      await attempt('settle', org.id, async () => {
        await this.#settle(org, 'operator');
        report.settled += 1;
      });
    }
    for (const claim of await this.#s.names.listClaimedBefore(before)) {
      await attempt('name', claim.slug, async () => {
        if (await this.#settleClaim(claim.slug, claim.orgId, claim.claimedAt)) report.namesFreed += 1;
      });
    }
    for (const lock of await this.#s.locks.listStartedBefore(before)) {
      await attempt('lock', lock.orgId, async () => {
        const org = await this.#s.orgs.findById(lock.orgId);
        if (org?.operation) return; // settled above, or by its own run
        await this.#s.locks.release(lock.orgId, lock.lockId);
        report.locksFreed += 1;
      });
    }
    // Places first, then what uses them: a place made after the listing is not judged, and every
    // place is recorded on its organization before it is made.
    const places = await this.#s.tenants.list();
    const inUse = await this.#s.orgs.placesInUse();
    for (const place of places) {
      if (inUse.some((used) => samePlace(used, place))) continue;
      await attempt('place', `${place.database}.${place.collection}`, async () => {
        await this.#s.tenants.drop(place);
        report.placesFreed += 1;
      });
    }
    return report;
  }
}
