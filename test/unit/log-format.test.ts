import { describe, expect, it } from 'vitest';
import { readableLine } from '../../bin/local-api/log-format.ts';

describe('Function: readableLine (npm start)', () => {
  it('writes a Powertools line as time, level, message and the request fields', () => {
    const line = JSON.stringify(
      {
        level: 'INFO',
        message: 'request',
        timestamp: '2026-11-30T12:04:31.207Z',
        service: 'orgs-service',
        sampling_rate: 0,
        cold_start: false,
        function_name: 'records-get',
        function_request_id: 'lambda-id',
        function: 'records-get',
        correlation_id: 'req-1',
        orgId: 'org-1',
        userId: 'user-1',
        status: 200,
        ms: 14,
      },
      null,
      4,
    );
    expect(readableLine(line)).toBe(
      '12:04:31.207 INFO  request function=records-get correlation_id=req-1 orgId=org-1 userId=user-1 status=200 ms=14',
    );
  });

  it('keeps a cold start, and leaves other text as it came', () => {
    expect(readableLine('{"level":"WARN","message":"m","cold_start":true}')).toBe('WARN  m cold_start=true');
    expect(readableLine('POST /org/create 201 12ms')).toBe('POST /org/create 201 12ms');
    expect(readableLine('{"not":"a log line"}')).toBe('{"not":"a log line"}');
    expect(readableLine('{broken')).toBe('{broken');
  });
});
