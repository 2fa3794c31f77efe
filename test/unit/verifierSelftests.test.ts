// The kernel's own verifier selftests as a test of the analysis. Their LSM programs carry the verifier's
// verdict (`__success`, or `__failure __msg("...")`); each is linted against the release of its Debian
// package: every refusal whose message is within our checks' reach must be predicted with the matching
// code, and no program the verifier accepts may get an error. The sources come from the cached
// linux-source .debs (.cache/debian-src/debs, else the archive while it serves them) and are unpacked
// into .cache/verifier-selftests; they never enter the repository. Without them the test is skipped.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { obtainDeb } from '../../scripts/debianArchive';
import { extractDebFolder, releaseOfDebianVersion } from '../../scripts/kernelSource';
import { Analyzer } from '../../server/src/analysis/analyze';
import { isCheckCode } from '../../server/src/analysis/checks/registry';
import { HookCatalog } from '../../server/src/hooks/catalog';
import { REPO_ROOT } from '../helpers/paths';

const PACKAGES = [
  { pkg: 'linux-source-7.3', version: '7.3.4-1~bpo13+1' },
  { pkg: 'linux-source-6.12', version: '6.12.117-1~deb12u1' },
];
const PROGS = 'tools/testing/selftests/bpf/progs';
const CACHE = path.join(REPO_ROOT, '.cache', 'verifier-selftests');

/** The verifier's message, and the check that predicts it (`unless` the program's text says it is another rule). */
const REACH: { msg: RegExp; code: string; unless?: RegExp }[] = [
  { msg: /points to disabled hook/, code: 'disabled-hook' },
  // The same words refuse bpf_set_retval(-4096) in an lsm_cgroup program (7.x): the helper's argument, not
  // the program's return, which no check predicts yet.
  { msg: /should have been in \[/, code: 'return-out-of-range', unless: /\bbpf_set_retval\s*\(/ },
  // Hook arguments only: a field the verifier marks trusted-or-null (`dentry->d_inode`, 7.x) is its own rule.
  { msg: /invalid mem access 'trusted_ptr_or_null_'/, code: 'unchecked-nullable-arg', unless: /->\s*d_inode\b/ },
  // A helper called in a timer callback runs in the callback's (non-sleepable) context: not modelled.
  {
    msg: /helper call might sleep|sleepable helper \S+ in non-sleepable prog|helper call is not allowed in probe|cannot use helper/,
    code: 'helper-not-allowed',
    unless: /\bbpf_timer_set_callback\s*\(/,
  },
  { msg: /sleepable kfunc/, code: 'kfunc-not-allowed' },
];

/** Checks not written yet: their programs are listed, not asserted. Delete a code here once its check has landed. */
const PENDING = new Set<string>();

const LSM_MARKER = /\bSEC\s*\(\s*"\??lsm(?:\.s|_cgroup)?\//g;

interface Row {
  program: string;
  hook: string;
  /** `success`, `failure`, or `-` (neither annotation). */
  expect: string;
  msgs: string[];
  errors: string[];
  verdict: 'predicted' | 'missed' | 'pending' | 'out of reach' | 'clean' | 'false error' | 'not annotated';
  /** The code the verifier's message maps to. */
  code?: string;
}

/** The annotations between a program's SEC() and its function. */
function annotations(between: string): { expect: string; msgs: string[] } {
  const msgs = [...between.matchAll(/\b__msg\s*\(\s*"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1].replace(/\\(.)/g, '$1'));
  const expect = /\b__failure\b/.test(between) ? 'failure' : /\b__success\b/.test(between) ? 'success' : '-';
  return { expect, msgs };
}

/** The selftests folder of a package: unpacked once into the cache, or why it cannot be had. */
async function selftests(pkg: string, version: string): Promise<string> {
  const dest = path.join(CACHE, `${pkg}_${version}`, 'progs');
  if (fs.existsSync(path.join(dest, 'verifier_lsm.c'))) return dest;
  const found = obtainDeb(pkg, version);
  if ('unavailable' in found) throw new Unavailable(found.unavailable);
  await extractDebFolder(found.deb, PROGS, dest);
  return dest;
}

class Unavailable extends Error {}

describe("the kernel's verifier selftests for LSM programs", { concurrency: false }, () => {
  const catalog = HookCatalog.bundled();
  let analyzer: Analyzer;
  before(async () => {
    analyzer = await Analyzer.create();
  });
  after(() => analyzer.dispose());

  for (const { pkg, version } of PACKAGES) {
    const release = releaseOfDebianVersion(version)!;
    it(`${pkg} ${version}: refusals within reach predicted, accepted programs free of errors`, async (t) => {
      let dir: string;
      try {
        dir = await selftests(pkg, version);
      } catch (err) {
        if (!(err instanceof Unavailable)) throw err;
        if (process.env.CI) t.diagnostic(`CI: not checked: ${err.message}`);
        return t.skip(err.message);
      }
      const target = catalog.target({ kernel: release }).target;
      const rows: Row[] = [];
      const unfound: string[] = [];
      for (const file of fs
        .readdirSync(dir)
        .filter((f) => f.endsWith('.c'))
        .sort()) {
        const text = fs.readFileSync(path.join(dir, file), 'utf8');
        const markers = [...text.matchAll(LSM_MARKER)].length;
        if (markers === 0 || !/\b__(success|failure)\b/.test(text)) continue;
        const result = analyzer.analyze(text, target, catalog);
        const { model } = result;
        if (model.programs.length !== markers) unfound.push(`${file}: ${model.programs.length} of ${markers} programs found`);
        model.programs.forEach((program, i) => {
          // Up to the next program (the tree, and so the bodies, are gone once analyze() returns).
          const end = model.programs[i + 1]?.start ?? text.length;
          const [first, next] = [model.index.range(program.start, program.start).start.line, model.index.range(end, end).start.line];
          const errors = result.findings
            .filter((f) => f.severity === 'error' && f.range.start.line >= first && (f.range.start.line < next || end === text.length))
            .map((f): string => f.code);
          const { expect, msgs } = annotations(text.slice(program.sectionEnd, program.macroStart));
          const source = text.slice(program.start, end);
          const code = REACH.find((r) => msgs.some((m) => r.msg.test(m)) && !r.unless?.test(source))?.code;
          let verdict: Row['verdict'];
          if (expect === 'success') verdict = errors.length > 0 ? 'false error' : 'clean';
          else if (expect === '-') verdict = 'not annotated';
          else if (!code) verdict = 'out of reach';
          else if (PENDING.has(code)) verdict = 'pending';
          else verdict = errors.includes(code) ? 'predicted' : 'missed';
          rows.push({ program: `${file}:${program.name}`, hook: program.section, expect, msgs, errors, verdict, code });
        });
      }
      const table = rows.map(
        (r) =>
          `${r.verdict.padEnd(13)} ${r.program} [${r.hook}] ${r.expect}${r.msgs.length ? ` "${r.msgs.join('" "')}"` : ''}` +
          `${r.code ? ` -> ${r.code}` : ''}${r.errors.length ? `; errors: ${r.errors.join(', ')}` : ''}`,
      );
      const counts = new Map<string, number>();
      for (const r of rows) counts.set(r.verdict, (counts.get(r.verdict) ?? 0) + 1);
      t.diagnostic(
        `${pkg} ${version} (checked as ${target.release}): ${rows.length} programs; ${[...counts].map(([v, n]) => `${v} ${n}`).join(', ')}`,
      );
      for (const line of table) t.diagnostic(line);
      for (const code of PENDING) if (isCheckCode(code)) t.diagnostic(`${code} is a check now: delete it from PENDING`);
      assert.deepEqual(unfound, [], 'every LSM program of the annotated files is found');
      assert.deepEqual(
        table.filter((l) => /^(missed|false error)/.test(l)),
        [],
        'refusals within reach are predicted; accepted programs get no error',
      );
      // The selftests hold refusals within reach on both releases: a run that checks nothing cannot pass.
      assert.ok((counts.get('predicted') ?? 0) >= 8, `at least 8 refusals predicted (${counts.get('predicted') ?? 0})`);
    });
  }
});
