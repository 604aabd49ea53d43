import { createHash, randomBytes, randomUUID } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { type Collection, type Document, type MongoClient, ObjectId } from 'mongodb';
import { type SessionConfig, sessionConfig } from '#core/config.ts';
import { MASTER_COLLECTIONS as C } from '#core/mongo/collections.ts';
import { idIn, isDuplicateKey } from '#core/mongo/compat.ts';
import { BENCH_PLAN } from './plan.ts';

/**
 * The baselines: the same database work as each route, done with the driver alone (no validation,
 * no service, no middleware, no mapping). Each method makes the same round trips as the service does
 * for that route on the path the bench takes (the organization is active, nothing to settle, no
 * conflict): the same collections, the same kind of operation, in the same order, with the same
 * filters and the same concurrency. Each lists them, citing the service code that makes them;
 * test/unit/bench.test.ts counts both sides' commands with the driver's command monitoring and
 * fails when they differ. What is left out is work without a round trip (validation, mapping,
 * signing) and the error paths the bench never takes.
 */
export class RawDb {
  readonly #orgs: Collection<Document>;
  readonly #admins: Collection<Document>;
  readonly #memberships: Collection<Document>;
  readonly #locks: Collection<Document>;
  readonly #failures: Collection<Document>;
  readonly #refreshTokens: Collection<{ _id: string } & Document>;
  readonly #events: Collection<{ _id: string } & Document>;
  readonly #eventSeqs: Collection<{ _id: string } & Document>;
  readonly #usage: Collection<{ _id: string } & Document>;
  readonly #meters: Collection<{ _id: string } & Document>;
  readonly #client: MongoClient;
  readonly #session: SessionConfig;

  /** Reads the session settings (login limits, refresh token lifetime) as the login function does. */
  constructor(client: MongoClient, masterDb: string, session: SessionConfig = sessionConfig()) {
    this.#client = client;
    this.#session = session;
    const db = client.db(masterDb);
    this.#orgs = db.collection(C.organizations);
    this.#admins = db.collection(C.admins);
    this.#events = db.collection(C.events);
    this.#eventSeqs = db.collection(C.eventSequences);
    this.#memberships = db.collection(C.memberships);
    this.#locks = db.collection(C.locks);
    this.#failures = db.collection(C.loginFailures);
    this.#refreshTokens = db.collection<{ _id: string } & Document>(C.refreshTokens);
    this.#usage = db.collection<{ _id: string } & Document>(C.usage);
    this.#meters = db.collection<{ _id: string } & Document>(C.meters);
  }

  /**
   * The rate limit every `jwt` route applies first (the plan cached; `Admission.admit` →
   * `MongoUsageStore.hit`), far from full:
   * 0. conditional update of org_usage: the request counted in the window and by route. When it
   *    matches nothing (the window's first request, of the organization's requests in any process:
   *    under the bench's spread load, about every other write), a second round trip:
   * 0'. the upsert that starts the window with this request (a duplicate key there, another request
   *    having just started it, means the first update once more).
   */
  async #admit(orgId: string, userId: string, route: string): Promise<void> {
    const windowMs = Math.round((BENCH_PLAN.burstLimit / BENCH_PLAN.rateLimit) * 1_000);
    const now = Date.now();
    const window = Math.floor(now / windowMs) * windowMs;
    const day = new Date(now).toISOString().slice(0, 10);
    const _id = `${orgId}:${day}`;
    const counted = { [`requests.${route}`]: 1 };
    const inWindow = async () =>
      (
        await this.#usage.updateOne(
          { _id, window, count: { $lt: BENCH_PLAN.burstLimit } },
          { $inc: { count: 1, ...counted }, $addToSet: { users: userId } },
        )
      ).matchedCount === 1;
    if (await inWindow()) return;
    try {
      await this.#usage.updateOne(
        { _id, $or: [{ window: { $lt: window } }, { windowMs: { $ne: windowMs } }] },
        { $set: { orgId, day, window, windowMs, count: 1 }, $inc: counted, $addToSet: { users: userId } },
        { upsert: true },
      );
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      await inWindow();
    }
  }

  /**
   * GET /org/get, 1 round trip (`OrganizationService.get`):
   * 1. find organizations by slug (`#findByName` → `orgs.findBySlug`; the legacy-key look-up only
   *    runs for names whose old ASCII key differs, never for the bench's names).
   */
  async getOrg(slug: string): Promise<Document | null> {
    return this.#orgs.findOne({ slug });
  }

  /**
   * PUT /org/update with a new spelling of the name and no rename (the slug stays), 10 round trips:
   * the rate limit (`#admit`), then 5 (`OrganizationService.update`, `OperationLocks.hold`):
   * 1. find organizations by slug (`ownedBy` → `orgs.findBySlug`);
   * 2. insert into org_locks (`locks.hold` → `#acquire` → `OperationLockStore.acquire`);
   * 3. find organizations by id, the re-read under the lock (`orgs.findById`);
   * 4. conditional findAndModify of organizations while active: the name, updatedAt, answering the
   *    document as updated (`orgs.transition`);
   * 5. delete from org_locks by org and lock id (`locks.hold` → `#release`), whatever happened.
   * (The lock's heartbeat renews only every third of the lease, 40 s by default: never in a bench call.)
   */
  async respell(slug: string, name: string, orgId: string, userId: string): Promise<Document | null> {
    await this.#admit(orgId, userId, 'org-update');
    const found = await this.#orgs.findOne({ slug });
    if (found?.status !== 'active') return null;
    const lockId = randomBytes(8).toString('hex');
    await this.#locks.insertOne({ _id: found._id, lockId, kind: 'update', startedAt: new Date() });
    try {
      const org = await this.#orgs.findOne({ _id: found._id });
      if (org?.status !== 'active') return null;
      // The organization.renamed event around the change (`EventLog.around` with `settleFirst`):
      // the family's pending events, the sequence number, the pending event; the commit after.
      const orgKey = org._id.toHexString();
      await this.#events.find({ state: 'pending', orgId: orgKey }).sort({ time: 1 }).limit(100).toArray();
      const seq = await this.#eventSeqs.findOneAndUpdate(
        { _id: orgKey },
        { $inc: { seq: 1 } },
        { upsert: true, returnDocument: 'after' },
      );
      const eventId = `evt_${randomBytes(12).toString('hex')}`;
      await this.#events.insertOne({
        _id: eventId,
        orgId: orgKey,
        seq: seq?.seq ?? 1,
        type: 'organization.renamed',
        state: 'pending',
        time: new Date(),
      });
      const renamed = await this.#orgs.findOneAndUpdate(
        { _id: org._id, status: { $in: ['active'] } },
        { $set: { name, updatedAt: new Date() } },
        { returnDocument: 'after' },
      );
      await this.#events.updateOne({ _id: eventId, state: 'pending' }, { $set: { state: 'committed', dispatch: 'due' } });
      return renamed;
    } finally {
      await this.#locks.deleteOne({ _id: found._id, lockId });
    }
  }

  /**
   * POST /org/records, 5 round trips: the rate limit (`#admit`), then `RecordsService.create`:
   * 0b. the records quota: an upsert of org_meters counting the record (`#reserve` →
   *    `MongoMeterStore.reserveRecord`; the plan is cached);
   * then `#write`:
   * 1. find organizations by id, uncached (`#access(orgId, true)` → `orgs.findById`);
   * 2. insert into the organization's place (`MongoRecordStore.insert`);
   * 3. find organizations by id again, the fence check after the write (`#access(orgId, true)`).
   */
  async createRecord(orgId: string, data: Record<string, unknown>, userId: string): Promise<Document | null> {
    await this.#admit(orgId, userId, 'records-create');
    await this.#meters.updateOne(
      { _id: orgId, records: { $lt: BENCH_PLAN.quotas.records } },
      { $inc: { records: 1 } },
      { upsert: true },
    );
    if (!ObjectId.isValid(orgId)) return null;
    const _id = new ObjectId(orgId);
    const org = await this.#orgs.findOne({ _id });
    if (org?.status !== 'active') return null;
    const place = org.placement;
    const now = new Date();
    const record = new ObjectId();
    await this.#client
      .db(place.database)
      .collection(place.collection)
      .insertOne({ _id: record, ...(place.gen ? { gen: place.gen } : {}), rev: 0, createdAt: now, updatedAt: now, data });
    const after = await this.#orgs.findOne({ _id });
    if (after?.status !== 'active' || (after.placementVersion ?? 0) !== (org.placementVersion ?? 0)) return null;
    return { id: record.toHexString(), ...data, created_at: now.toISOString(), updated_at: now.toISOString() };
  }

  /**
   * GET /org/records/{id}, 4 round trips: the rate limit (`#admit`), then 3 (`RecordsService.get` →
   * `#read`), with the placement cache off (the bench sets PLACEMENT_CACHE_SECONDS=0: a container's
   * first read of an organization):
   * 1. find organizations by id (`#access(orgId, false)` → `orgs.findById`);
   * 2. find the record in the organization's place, by id and the place's generation
   *    (`MongoRecordStore.find`);
   * 3. find organizations by id again, the check after the read (`#access(orgId, true)`).
   */
  async getRecord(orgId: string, recordId: string, userId: string): Promise<Document | null> {
    await this.#admit(orgId, userId, 'records-get');
    if (!ObjectId.isValid(orgId) || !ObjectId.isValid(recordId)) return null;
    const _id = new ObjectId(orgId);
    const org = await this.#orgs.findOne({ _id });
    if (!org || !['active', 'renaming', 'moving'].includes(org.status)) return null;
    const place = org.placement;
    const record = await this.#client
      .db(place.database)
      .collection(place.collection)
      .findOne({ _id: new ObjectId(recordId), gen: place.gen ?? null });
    const after = await this.#orgs.findOne({ _id });
    if ((after?.placementVersion ?? 0) !== (org.placementVersion ?? 0)) return null;
    return record;
  }

  /**
   * POST /admin/login with the right password, without signing, 9 round trips in 8 steps (with the
   * `login.succeeded` event's three; 10 when the email had live failures to clear)
   * (`LoginService.login`, `LoginThrottle`, `SessionService.start`):
   * 1. find login_failures of the email and, at once, of the source IP (`throttle.check`, two
   *    `AttemptLog.latest` in parallel);
   * 2. find admins by email (`admins.findByEmail`);
   * 3. find the user's memberships, after the password check (`sessions.organizationsOf`);
   * 3b. find their organizations by id (`orgs.findMany`);
   * 4. delete the email's login_failures when step 1 found some (`throttle.succeeded` → `AttemptLog.clear`);
   * 5. insert into refresh_tokens (`sessions.start` → `#issue` → `RefreshTokenStore.insert`).
   * A failed login records a failure per key instead of steps 4 and 5 (`throttle.failed`). bcrypt
   * runs here too, so that the look-up after it meets the same conditions (a connection and a server
   * idle for the length of a hash) as in the service; the bench takes the bcrypt time out of both sides.
   */
  async login(email: string, password: string, sourceIp = '127.0.0.1'): Promise<Document | null> {
    const now = new Date();
    const keys: [string, number][] = [
      [`email:${email}`, this.#session.maxFailuresPerEmail],
      [`ip:${sourceIp}`, this.#session.maxFailuresPerIp],
    ];
    const live = await Promise.all(
      keys.map(([key, limit]) =>
        this.#failures
          .find({ key, expiresAt: { $gt: now } }, { projection: { expiresAt: 1 } })
          .sort({ expiresAt: -1 })
          .limit(limit)
          .toArray(),
      ),
    );
    const admin = await this.#admins.findOne({ email });
    const matched = admin !== null && (await bcrypt.compare(password, admin.passwordHash));
    const memberships =
      admin && matched
        ? await this.#memberships.find({ userId: admin._id }).sort({ createdAt: 1, _id: 1 }).limit(100).toArray()
        : [];
    const orgs = memberships.length > 0 ? await this.#orgs.find(idIn(memberships.map((m) => m.orgId))).toArray() : [];
    const org = orgs.find((o) => o._id.equals(admin?.orgId)) ?? orgs[0] ?? null;
    if (!admin || !org || !['active', 'renaming', 'moving'].includes(org.status)) {
      const expiresAt = new Date(now.getTime() + this.#session.failureWindowMs);
      await Promise.all(keys.map(([key]) => this.#failures.insertOne({ key, at: now, expiresAt })));
      return null;
    }
    if ((live[0]?.length ?? 0) > 0) await this.#failures.deleteMany({ key: `email:${email}` });
    const issued = new Date();
    await this.#refreshTokens.insertOne({
      _id: createHash('sha256').update(randomBytes(32).toString('base64url')).digest('hex'),
      familyId: randomUUID(),
      adminId: admin._id,
      orgId: org._id,
      tokenVersion: admin.tokenVersion ?? 0,
      createdAt: issued,
      expiresAt: new Date(issued.getTime() + this.#session.refreshTtlMs),
    });
    // login.succeeded (`AuditedLoginService`): the user by email, the sequence number, the event.
    await this.#admins.findOne({ email });
    const orgKey = org._id.toHexString();
    const seq = await this.#eventSeqs.findOneAndUpdate(
      { _id: orgKey },
      { $inc: { seq: 1 } },
      { upsert: true, returnDocument: 'after' },
    );
    await this.#events.insertOne({
      _id: `evt_${randomBytes(12).toString('hex')}`,
      orgId: orgKey,
      seq: seq?.seq ?? 1,
      type: 'login.succeeded',
      state: 'committed',
      time: issued,
    });
    return org;
  }
}
