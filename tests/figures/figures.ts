/**
 * `npm run figures`: rewrites the README's figures from a vitest JSON report, so they are never
 * typed by hand: the test-count row of "The two commands" and the list of requirements that no
 * test name mentions. Each sits between `<!-- figures:NAME -->` and `<!-- /figures:NAME -->`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** The parts of vitest's JSON report read here. */
export interface VitestReport {
  success: boolean;
  numTotalTests: number;
  testResults: { name: string; assertionResults: { fullName: string }[] }[];
}

/** Requirement IDs (`PRE-1`, `SEC-7`, ...) in order of first appearance. */
export function requirementIds(text: string): string[] {
  return [...new Set(text.match(/\b[A-Z]{2,6}-\d+\b/g) ?? [])];
}

/** The IDs no test name (describe blocks included) mentions. */
export function unmentioned(ids: string[], report: VitestReport): string[] {
  const names = report.testResults.flatMap((f) => f.assertionResults.map((t) => t.fullName)).join('\n');
  return ids.filter((id) => !new RegExp(`\\b${id}\\b`).test(names));
}

/** Replaces what sits between the markers of `name`; throws when they are missing, so a moved marker is noticed. */
export function replaceBetween(text: string, name: string, content: string): string {
  const open = `<!-- figures:${name} -->`;
  const close = `<!-- /figures:${name} -->`;
  const start = text.indexOf(open);
  const end = text.indexOf(close);
  if (start < 0 || end < start) throw new Error(`README has no ${open} ... ${close}`);
  return text.slice(0, start + open.length) + content + text.slice(end);
}

export function rewriteReadme(readme: string, report: VitestReport, requirements: string): string {
  const counts = `\`npm test\` (lint, tsc, ${report.testResults.length} files, ${report.numTotalTests} tests)`;
  const missing = unmentioned(requirementIds(requirements), report);
  const list = missing.length ? `Not built yet (no test name mentions them): ${missing.join(', ')}.` : 'Every requirement is mentioned by at least one test name.';
  return replaceBetween(replaceBetween(readme, 'tests', counts), 'requirements', `\n${list}\n`);
}

function main(reportPath = '.data/test-report.json', requirementsPath = process.env.REQUIREMENTS ?? '../shared/REQUIREMENTS.md'): void {
  const report = JSON.parse(readFileSync(reportPath, 'utf8')) as VitestReport;
  // The figures of a red run would describe code that does not work.
  if (!report.success) throw new Error(`${reportPath}: the run failed; fix the tests first`);
  const readme = readFileSync('README.md', 'utf8');
  const next = rewriteReadme(readme, report, readFileSync(requirementsPath, 'utf8'));
  writeFileSync('README.md', next);
  console.log(next === readme ? 'README figures unchanged' : 'README figures updated');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main(process.argv[2], process.argv[3]);
