#!/usr/bin/env node
/**
 * Every organization's usage on one UTC day, one line per organization, for billing and capacity:
 * JSON lines (default) or CSV, on standard output.
 *
 *   npm run org:usage                                   # yesterday (UTC), JSON lines
 *   npm run org:usage -- --day 2026-11-30 --format csv > usage-2026-11-30.csv
 *
 * Three queries whatever the number of organizations (the organizations, the day's usage documents,
 * the records meters), each read in the driver's batches; see README, Usage.
 */
import { parseArgs } from 'node:util';
import { usage } from '#core/app.ts';
import { AppError } from '#core/errors.ts';
import type { UsageReportLine } from '#core/limits/usage.ts';
import { closeMongoClient } from '#core/mongo/client.ts';

const help = 'usage: org-usage [--day YYYY-MM-DD] [--format jsonl|csv]';

const COLUMNS = [
  'day',
  'organization_id',
  'organization_name',
  'plan',
  'requests_total',
  'throttled_total',
  'active_members',
  'records',
  'requests',
  'throttled',
] as const;

/** A CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break. */
function csvField(value: unknown): string {
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The report as CSV (RFC 4180, CRLF line ends, a header row); the by-route counts are JSON objects. */
export function toCsv(lines: readonly UsageReportLine[]): string {
  const rows = [COLUMNS.join(','), ...lines.map((line) => COLUMNS.map((column) => csvField(line[column])).join(','))];
  return `${rows.join('\r\n')}\r\n`;
}

/** Runs the command; returns what to print and the exit code. */
export async function orgUsage(args: readonly string[], now = new Date()): Promise<{ out: string; code: number }> {
  const { values } = parseArgs({ args: [...args], options: { day: { type: 'string' }, format: { type: 'string' } } });
  const format = values.format ?? 'jsonl';
  if (format !== 'jsonl' && format !== 'csv') return { out: help, code: 2 };
  const day = values.day ?? new Date(now.getTime() - 86_400_000).toISOString().slice(0, 10);
  try {
    const lines = await (await usage()()).report(day);
    if (format === 'csv') return { out: toCsv(lines).trimEnd(), code: 0 };
    return { out: lines.map((line) => JSON.stringify(line)).join('\n'), code: 0 };
  } catch (error) {
    if (error instanceof AppError) return { out: `${error.code}: ${error.message}`, code: 1 };
    throw error;
  }
}

if (import.meta.main) {
  try {
    const { out, code } = await orgUsage(process.argv.slice(2));
    (code === 0 ? console.log : console.error)(out);
    process.exitCode = code;
  } finally {
    await closeMongoClient();
  }
}
