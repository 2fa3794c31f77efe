// license: BPF LSM programs call GPL-only helpers, so the kernel requires a GPL-compatible licence.
import type { Finding } from '../findings';
import type { IncludeFacts } from '../includes';
import type { FileModel } from '../programs';

/** The strings the kernel's license_is_gpl_compatible() accepts. */
const GPL_COMPATIBLE = new Set(['GPL', 'GPL v2', 'GPL and additional rights', 'Dual BSD/GPL', 'Dual MIT/GPL', 'Dual MPL/GPL']);

export function checkLicense(model: FileModel): Finding[] {
  if (model.programs.length === 0) return [];
  const included = model.includes;
  if (model.licenses.length === 0 && included && included.licenses.length > 0) return checkIncludedLicenses(model, included);
  if (model.licenses.length === 0 && included && included.unread.length > 0) return [notChecked(model, included)];
  if (model.licenses.length === 0) {
    const first = model.programs[0];
    const end = model.index.position(model.text.length);
    const eol = model.index.eol;
    // A file with programs is never empty: it ends with a line end or the licence starts a new line.
    const newline = /[\r\n]$/.test(model.text) ? '' : eol;
    return [
      {
        code: 'license',
        severity: 'error',
        range: model.index.range(first.start, first.sectionEnd),
        message:
          'This file has LSM programs but no SEC("license"): the kernel refuses LSM programs without a ' +
          'GPL-compatible licence. Add char LICENSE[] SEC("license") = "GPL";',
        fixes: [
          {
            title: 'Add a GPL licence',
            edits: [{ range: { start: end, end }, newText: `${newline}${eol}char LICENSE[] SEC("license") = "GPL";${eol}` }],
            preferred: true,
          },
        ],
      },
    ];
  }
  const findings: Finding[] = [];
  for (const license of model.licenses) {
    if (license.value === null || GPL_COMPATIBLE.has(license.value)) continue;
    const range = model.index.range(license.start, license.end);
    const replacement = /bsd/i.test(license.value) ? 'Dual BSD/GPL' : /mit/i.test(license.value) ? 'Dual MIT/GPL' : 'GPL';
    findings.push({
      code: 'license',
      severity: 'error',
      range,
      message:
        `Licence "${license.value}" is not GPL-compatible: the kernel refuses to load LSM programs with it. ` +
        `Use one of ${[...GPL_COMPATIBLE].map((l) => `"${l}"`).join(', ')}.`,
      fixes: [{ title: `Use "${replacement}"`, edits: [{ range, newText: `"${replacement}"` }], preferred: true }],
    });
  }
  return findings;
}

/** The include line of the analysed file a header was reached through (the first, when it is included twice). */
function directiveRange(model: FileModel, facts: IncludeFacts, via: string) {
  const d = facts.directives.find((x) => x.name === via) ?? facts.directives[0];
  return d ? model.index.range(d.start, d.end) : model.index.range(0, 0);
}

function checkIncludedLicenses(model: FileModel, facts: IncludeFacts): Finding[] {
  return facts.licenses
    .filter((l) => l.value !== null && !GPL_COMPATIBLE.has(l.value))
    .map((l) => ({
      code: 'license' as const,
      severity: 'error' as const,
      range: directiveRange(model, facts, l.via),
      message:
        `Licence "${l.value}" (in ${l.header}) is not GPL-compatible: the kernel refuses to load LSM programs with it. ` +
        `Use one of ${[...GPL_COMPATIBLE].map((x) => `"${x}"`).join(', ')}.`,
    }));
}

/**
 * No licence in the file or the headers that were read, but a local header could not be read: it may
 * hold the licence (KubeArmor keeps it in shared.h), so the kernel's refusal cannot be predicted. An
 * error must mean the kernel will refuse the file; this is information, so the user knows the check
 * did not run, and CI does not fail on it.
 */
function notChecked(model: FileModel, facts: IncludeFacts): Finding {
  const u = facts.unread[0];
  const more = facts.unread.length > 1 ? ` (and ${facts.unread.length - 1} more header(s))` : '';
  return {
    code: 'license',
    severity: 'information',
    range: directiveRange(model, facts, u.via),
    message:
      `The licence could not be checked: this file has no SEC("license"), and "${u.name}" could not be read (${u.reason})${more}. ` +
      'Add the include directory with -I, includePaths in bpf-lsm.config.json or compile_commands.json, or put ' +
      'char LICENSE[] SEC("license") = "GPL"; in this file.',
  };
}
