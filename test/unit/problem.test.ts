import { describe, expect, it } from 'vitest';
import { AppError, ConflictError, NotFoundError, UnauthorizedError, UnavailableError } from '#core/errors.ts';
import { problemResponse, statusOf } from '#core/http/problem.ts';

/** The one table from typed error to HTTP answer. */
describe('Function: problemResponse', () => {
  it('answers each typed error with its class status, a subclass with its nearest ancestor', () => {
    class LeaseLostError extends ConflictError {}

    expect(statusOf(new NotFoundError('organization_not_found', 'x'))).toBe(404);
    expect(statusOf(new LeaseLostError('lease_lost', 'x'))).toBe(409);
    expect(JSON.parse(problemResponse(new LeaseLostError('lease_lost', 'Lost.')).body ?? '')).toMatchObject({
      status: 409,
      code: 'lease_lost',
      detail: 'Lost.',
    });
  });

  it('adds Retry-After where the error gives one, and WWW-Authenticate to a 401', () => {
    const unavailable = problemResponse(new UnavailableError(undefined, { retryAfterSeconds: 30 }));
    const unauthorized = problemResponse(new UnauthorizedError('unauthenticated', 'x'));

    expect(unavailable.headers).toMatchObject({ 'retry-after': '30', 'content-type': 'application/problem+json' });
    expect(unauthorized.headers).toMatchObject({ 'www-authenticate': 'Bearer' });
  });

  it('says nothing of an error outside the table: a bare 500, whatever its code and message', () => {
    class Unmapped extends AppError {}
    const typed = problemResponse(new Unmapped('secret_code', 'the driver said something'));
    const plain = problemResponse(new Error('E11000 duplicate key error collection: orgs.admins'));

    for (const answer of [typed, plain]) {
      expect(answer.statusCode).toBe(500);
      expect(JSON.parse(answer.body ?? '')).toEqual({
        type: 'https://docs.orgs-service.dev/problems/internal-error',
        title: 'Internal Server Error',
        status: 500,
        detail: 'An unexpected error occurred.',
        code: 'internal_error',
      });
    }
  });
});
