// `bpf-lsm-lint --format sarif`: the findings as a SARIF 2.1.0 log, which code-scanning services (GitHub
// code scanning, Azure DevOps, SonarQube...) import. The rules are the check registry's codes, each with
// its summary and default level; locations are relative to the directory the linter ran in (%SRCROOT%).
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Severity } from '../../../common/severity';
import { CODES } from '../analysis/checks/registry';
import type { Finding, Range } from '../analysis/findings';
import { relativeInside } from '../ctext/relativeInside';

export const SARIF_SCHEMA = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';
const TOOL_VERSION = '0.1.0';
const SRCROOT = '%SRCROOT%';

/** SARIF's levels: information and hints are notes. */
export function sarifLevel(severity: Severity): 'error' | 'warning' | 'note' {
  return severity === 'error' ? 'error' : severity === 'warning' ? 'warning' : 'note';
}

/** A registry summary is Markdown with `code` spans; the plain text drops the backticks. */
function plain(markdown: string): string {
  return markdown.replace(/`([^`]*)`/g, '$1');
}

interface ArtifactLocation {
  uri: string;
  uriBaseId?: string;
}

/** A file's location: relative to %SRCROOT% (the working directory) when inside it, else an absolute file URI. */
export function artifactLocation(file: string, cwd: string): ArtifactLocation {
  const absolute = path.resolve(cwd, file);
  const rel = relativeInside(cwd, absolute);
  if (rel === undefined) return { uri: pathToFileURL(absolute).href };
  return { uri: rel.split(path.sep).map(encodeURIComponent).join('/'), uriBaseId: SRCROOT };
}

/** 1-based lines and columns (UTF-16 code units, SARIF's default); the end column is the one after the last. */
function region(range: Range) {
  return {
    startLine: range.start.line + 1,
    startColumn: range.start.character + 1,
    endLine: range.end.line + 1,
    endColumn: range.end.character + 1,
  };
}

export interface LintedFile {
  /** As given on the command line. */
  file: string;
  findings: Finding[];
}

/** A file that could not be linted, or a check that failed on it: the run is then not successful. */
export interface RunProblem {
  file: string;
  message: string;
}

/** The SARIF log of one run of the linter; `problems` become the invocation's notifications. */
export function sarifLog(files: readonly LintedFile[], cwd: string, problems: readonly RunProblem[] = []) {
  const codes = [...CODES.keys()];
  const rules = [...CODES].map(([code, info]) => ({
    id: code,
    shortDescription: { text: plain(info.summary), markdown: info.summary },
    defaultConfiguration: { level: sarifLevel(info.severity) },
  }));
  const results = files.flatMap(({ file, findings }) => {
    const location = artifactLocation(file, cwd);
    return findings.map((f) => ({
      ruleId: f.code,
      ruleIndex: codes.indexOf(f.code),
      level: sarifLevel(f.severity),
      message: { text: f.message },
      locations: [{ physicalLocation: { artifactLocation: location, region: region(f.range) } }],
      ...(f.fixes && f.fixes.length > 0
        ? {
            fixes: f.fixes.map((fix) => ({
              description: { text: fix.title },
              artifactChanges: [
                {
                  artifactLocation: location,
                  replacements: fix.edits.map((e) => ({ deletedRegion: region(e.range), insertedContent: { text: e.newText } })),
                },
              ],
            })),
          }
        : {}),
    }));
  });
  const root = pathToFileURL(cwd).href;
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'bpf-lsm-lint',
            version: TOOL_VERSION,
            rules,
          },
        },
        originalUriBaseIds: { [SRCROOT]: { uri: root.endsWith('/') ? root : `${root}/` } },
        invocations: [
          {
            executionSuccessful: problems.length === 0,
            ...(problems.length > 0
              ? {
                  toolExecutionNotifications: problems.map((p) => ({
                    level: 'error',
                    message: { text: p.message },
                    locations: [{ physicalLocation: { artifactLocation: artifactLocation(p.file, cwd) } }],
                  })),
                }
              : {}),
          },
        ],
        columnKind: 'utf16CodeUnits',
        results,
      },
    ],
  };
}
