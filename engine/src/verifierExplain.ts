// A short explanation of the verifier's common refusals, in the user's terms: what the kernel checked
// and what to change. Undefined for a message this does not know (the verifier's own words stand alone).

interface Explanation {
  pattern: RegExp;
  text: string;
}

const EXPLANATIONS: Explanation[] = [
  {
    pattern: /At program exit the register R0 .*should have been in/,
    text:
      "The verifier could not prove the return value is in the hook's allowed range. clang may compile a conditional " +
      'denial branchless (a negation or mask the verifier cannot bound): return from an explicit branch ' +
      '(`if (cond) return -EPERM; return 0;`) or clamp the value.',
  },
  {
    pattern: /back-edge|infinite loop|loop is not bounded|program is too large|BPF program is too large|too many states/i,
    text:
      'The verifier must see every loop end within its limits: give the loop a constant bound, use bpf_loop() or ' +
      'an open-coded iterator (bpf_for), or make the body smaller.',
  },
  {
    pattern: /invalid mem access '(?:map_value_or_null|\w+_or_null|ptr_or_null_|mem_or_null)'|R\d+ invalid mem access '.*or_null/,
    text: 'A pointer that may be NULL (a map lookup, a nullable argument) is dereferenced: check it against NULL first.',
  },
  {
    pattern:
      /invalid mem access|invalid access to|invalid read from stack|invalid indirect read|min value is negative|value is outside of the allowed memory range|out of bounds/,
    text:
      'A memory access the verifier cannot prove safe: check the pointer and bounds first, or read kernel memory ' +
      'with BPF_CORE_READ / bpf_probe_read_kernel.',
  },
  {
    pattern:
      /helper call is not allowed|unknown func|program of this type cannot use helper|cannot call|calling kernel function .* is not allowed/,
    text: 'This helper or kfunc is not available to this program type or hook on this kernel: check the hook and the kernel version.',
  },
  {
    pattern: /sleepable|might sleep|in non-sleepable context/,
    text: 'This helper or kfunc may sleep: use a sleepable program (SEC("lsm.s/<hook>")) on a hook that allows it.',
  },
  {
    pattern: /R\d+ !read_ok/,
    text: 'A register is read before it was set: often a path that returns without setting the return value.',
  },
];

export function explainVerifierMessage(message: string): string | undefined {
  return EXPLANATIONS.find((e) => e.pattern.test(message))?.text;
}

/**
 * The static checks (server/src/analysis/checks/registry.ts) whose error predicts a refusal in the
 * verifier's words: a finding of one of them on the line the verifier failed on is the same reason.
 */
const SAME_REASON: Record<string, RegExp> = {
  'return-out-of-range': /At program exit the register R0 .*should have been in|can't modify return value/,
  'helper-not-allowed':
    /helper call might sleep|sleepable helper \S+ in non-sleepable prog|helper call is not allowed in probe|cannot use helper|unknown func bpf_/,
  'kfunc-not-allowed': /kfunc|kernel function|calling kernel func/,
  'unchecked-nullable-arg': /trusted_ptr_or_null_/,
  'wrong-macro': /invalid bpf_context access/,
  'signature-mismatch': /invalid bpf_context access|invalid mem access|type=\S+ expected=/,
};

/** Does a static finding `code` give the same reason as the verifier's `message`? */
export function sameReason(code: string, message: string): boolean {
  return Object.hasOwn(SAME_REASON, code) && SAME_REASON[code].test(message);
}
