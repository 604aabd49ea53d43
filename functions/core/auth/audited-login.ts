import { TooManyRequestsError, UnauthorizedError } from '../errors.ts';
import { type EventLog, userActor } from '../events/log.ts';
import type { EventType } from '../events/model.ts';
import { errorFields, log } from '../log.ts';
import { isChallenge, type LoginDeps, type LoginResult, LoginService } from './login.ts';

/**
 * Login with its events: `login.succeeded` once the tokens are made (a failure to record it fails the
 * login, so no session goes unrecorded), `login.failed` for a wrong password of a known user and
 * `login.locked_out` when that failure locks the email or address out (once per lockout, not per
 * refused attempt, so a flood of attempts is not a flood of events). An unknown email belongs to no
 * organization and is recorded nowhere (the metric counts it). Failure events are best effort: an
 * outage while recording one leaves the answer as it was. Recorded in the organization the login
 * asked for, else the one the user created, else their oldest membership. A login that answers a
 * two-factor challenge records nothing yet.
 */
export class AuditedLoginService extends LoginService {
  readonly #deps: LoginDeps;
  readonly #events: EventLog;

  constructor(deps: LoginDeps, events: EventLog) {
    super(deps);
    this.#deps = deps;
    this.#events = events;
  }

  override async login(...args: Parameters<LoginService['login']>): Promise<LoginResult> {
    const [email, , sourceIp, organizationId] = args;
    let tokens: LoginResult;
    try {
      tokens = await super.login(...args);
    } catch (error) {
      if (error instanceof UnauthorizedError && error.code === 'invalid_credentials') {
        await this.#failed(email, sourceIp, organizationId).catch((recordError) =>
          log.warn('failed login not recorded', errorFields(recordError)),
        );
      }
      throw error;
    }
    // A challenge is half a login: the two-factor step that completes it records its own success.
    if (isChallenge(tokens)) return tokens;
    const user = await this.#deps.admins.findByEmail(email);
    if (user) {
      await this.#events.record({
        orgId: tokens.org.id,
        type: 'login.succeeded',
        actor: userActor(user.id),
        target: { type: 'user', id: user.id },
        data: { role: tokens.role },
      });
    }
    return tokens;
  }

  async #failed(email: string, sourceIp: string | undefined, organizationId: string | undefined): Promise<void> {
    const user = await this.#deps.admins.findByEmail(email);
    if (!user) return;
    const choices = await this.#deps.sessions.organizationsOf(user.id);
    const chosen = choices.find((c) => c.org.id === organizationId) ?? choices.find((c) => c.org.id === user.orgId) ?? choices[0];
    if (!chosen) return;
    const record = (type: EventType) =>
      this.#events.record({
        orgId: chosen.org.id,
        type,
        actor: userActor(user.id),
        target: { type: 'user', id: user.id },
        data: {},
      });
    await record('login.failed');
    const lockedOut = await this.#deps.throttle?.check(email, sourceIp).then(
      () => false,
      (error: unknown) => error instanceof TooManyRequestsError,
    );
    if (lockedOut) await record('login.locked_out');
  }
}
