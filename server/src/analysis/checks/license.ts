// license: BPF LSM programs call GPL-only helpers, so the kernel requires a GPL-compatible licence.
import type { Finding } from '../findings';
import type { FileModel } from '../programs';

/** The strings the kernel's license_is_gpl_compatible() accepts. */
const GPL_COMPATIBLE = new Set(['GPL', 'GPL v2', 'GPL and additional rights', 'Dual BSD/GPL', 'Dual MIT/GPL', 'Dual MPL/GPL']);

export function checkLicense(model: FileModel): Finding[] {
  if (model.programs.length === 0) return [];
  if (model.licenses.length === 0) {
    const first = model.programs[0];
    const end = model.index.position(model.text.length);
    const eol = model.index.eol;
    const newline = /[\r\n]$/.test(model.text) || model.text.length === 0 ? '' : eol;
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
