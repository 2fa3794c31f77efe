// bpf-lsm-lint: the analysis as a command-line linter for CI.
// Exit status: 0 no errors, 1 errors found, 2 usage or I/O errors (the other files are still linted).
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { Analyzer } from '../analysis/analyze';
import { CHECK_CODES, type CheckCode, type Finding } from '../analysis/findings';
import { btfHookTableFromFile } from '../btf/btfCache';
import { HookCatalog, KernelSelectionError } from '../hooks/catalog';
import type { HookDef } from '../hooks/types';

const USAGE = `usage: bpf-lsm-lint [--kernel VERSION] [--hook-defs FILE | --btf FILE] [--format text|json] [--disable CODE]... FILE...

  --kernel VERSION   kernel release to check against (e.g. 6.12, 6.1.20, 6.10); default: the newest bundled
  --hook-defs FILE   your own include/linux/lsm_hook_defs.h instead of the bundled hook table
  --btf FILE         a kernel's BTF (its /sys/kernel/btf/vmlinux): the hooks that kernel really has
  --format FORMAT    text (file:line:col: severity: message [code]) or json
  --disable CODE     skip a check (repeatable): ${CHECK_CODES.join(', ')}
  --list-kernels     print the bundled kernel releases and exit`;

export interface JsonFinding {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  severity: string;
  code: string;
  message: string;
}

function toJson(file: string, f: Finding): JsonFinding {
  return {
    file,
    line: f.range.start.line + 1,
    column: f.range.start.character + 1,
    endLine: f.range.end.line + 1,
    endColumn: f.range.end.character + 1,
    severity: f.severity,
    code: f.code,
    message: f.message,
  };
}

/** Reads a source file, or says in one line why it cannot be linted. */
function readSource(file: string): { text: string } | { error: string } {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { error: code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? (err as Error).message})` };
  }
  if (stat.isDirectory()) return { error: 'is a directory, not a C file' };
  try {
    const data = fs.readFileSync(file);
    if (data.subarray(0, 8192).includes(0)) return { error: 'is a binary file, not C source' };
    return { text: data.toString('utf8') };
  } catch (err) {
    return { error: `cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` };
  }
}

export async function main(argv: string[], out = process.stdout, err = process.stderr): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        kernel: { type: 'string' },
        'hook-defs': { type: 'string' },
        btf: { type: 'string' },
        format: { type: 'string', default: 'text' },
        disable: { type: 'string', multiple: true, default: [] },
        'list-kernels': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (e) {
    err.write(`bpf-lsm-lint: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = args;
  const catalog = HookCatalog.bundled();
  if (values.help) {
    out.write(`${USAGE}\n`);
    return 0;
  }
  if (values['list-kernels']) {
    out.write(`${catalog.releases.map((r) => `${r.release}\t${r.hooks.size} hooks`).join('\n')}\n`);
    return 0;
  }
  if (values.format !== 'text' && values.format !== 'json') {
    err.write(`bpf-lsm-lint: --format must be text or json, not '${values.format}'\n`);
    return 2;
  }
  const unknownCodes = values.disable.filter((c) => !(CHECK_CODES as readonly string[]).includes(c));
  if (unknownCodes.length > 0) {
    err.write(`bpf-lsm-lint: unknown check code(s) ${unknownCodes.join(', ')}; known: ${CHECK_CODES.join(', ')}\n`);
    return 2;
  }
  if (positionals.length === 0) {
    err.write(`bpf-lsm-lint: no files given\n${USAGE}\n`);
    return 2;
  }

  let hookDefs: { path: string; text: string } | undefined;
  if (values['hook-defs']) {
    const read = readSource(values['hook-defs']);
    if ('error' in read) {
      err.write(`bpf-lsm-lint: --hook-defs ${values['hook-defs']}: ${read.error}\n`);
      return 2;
    }
    hookDefs = { path: values['hook-defs'], text: read.text };
  }
  let btf: { source: string; hooks: HookDef[] } | undefined;
  if (values.btf) {
    try {
      btf = { source: `BTF of ${values.btf}`, hooks: btfHookTableFromFile(values.btf).hooks };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      err.write(`bpf-lsm-lint: --btf ${values.btf}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}\n`);
      return 2;
    }
  }
  let selected;
  try {
    selected = catalog.target({ kernel: values.kernel, hookDefs, btf });
  } catch (e) {
    if (e instanceof KernelSelectionError) {
      err.write(`bpf-lsm-lint: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const { target, headerErrors } = selected;
  for (const h of headerErrors) err.write(`${hookDefs!.path}:${h.line}: warning: ${h.message}\n`);
  if (hookDefs && !btf && target.source !== hookDefs.path) {
    err.write(`bpf-lsm-lint: ${hookDefs.path} has no LSM_HOOK entries that parse\n`);
    return 2;
  }
  if (target.note) err.write(`note: ${target.note}\n`);

  const analyzer = await Analyzer.create();
  const options = { disabledChecks: values.disable as CheckCode[] };
  let ioError = false;
  let errors = 0;
  const json: JsonFinding[] = [];
  try {
    for (const file of positionals) {
      const read = readSource(file);
      if ('error' in read) {
        err.write(`bpf-lsm-lint: ${file}: ${read.error}\n`);
        ioError = true;
        continue;
      }
      let findings: Finding[];
      try {
        findings = analyzer.analyze(read.text, target, catalog, options).findings;
      } catch (e) {
        err.write(`bpf-lsm-lint: ${file}: ${(e as Error).message}\n`);
        ioError = true;
        continue;
      }
      for (const f of findings) {
        if (f.severity === 'error') errors++;
        if (values.format === 'json') json.push(toJson(file, f));
        else out.write(`${file}:${f.range.start.line + 1}:${f.range.start.character + 1}: ${f.severity}: ${f.message} [${f.code}]\n`);
      }
    }
  } finally {
    analyzer.dispose();
  }
  if (values.format === 'json') out.write(`${JSON.stringify(json, null, 2)}\n`);
  return ioError ? 2 : errors > 0 ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: Error) => {
      process.stderr.write(`bpf-lsm-lint: internal error: ${e.stack ?? e.message}\n`);
      process.exitCode = 2;
    },
  );
}
