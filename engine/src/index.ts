// The remote engine's public face: everything the editor, the VM tooling, the bench and the tests use to
// drive a target. No VS Code in here (test/unit/remoteEngine.test.ts checks that).
export {
  ActionHelperError,
  actionArgv,
  parseActionResult,
  type ActionHelperErrorKind,
  type ActionResult,
  type HelperAction,
  type CaseMarks,
} from './actionHelper';
export {
  AttachError,
  AttachSession,
  loaderArgv,
  parseAttached,
  parseLoadFailure,
  type AttachedProgram,
  type VerifierFailure,
} from './attachSession';
export {
  clangArgs,
  compileProgram,
  fetchTargetBtf,
  parseCompilerMessages,
  targetArch,
  type CompileOptions,
  type CompileResult,
  type CompilerMessage,
  type TargetBtf,
} from './buildBpf';
export { loadOnlyArgv, parseLoadOnly, type LoadedProgram, type ProgramLoad, type RejectedProgram } from './loadOnly';
export { parsePreflight, preflight, type PreflightReport } from './preflight';
export { probeDenied, type ProbeResult } from './probe';
export {
  parseProbeOutput,
  PROBED_RETURNS,
  probedFactsFrom,
  probedReturns,
  probedSets,
  ProbeOutputError,
  PROBER_OUTPUT_VERSION,
  type ProbedFacts,
  type ProbedHook,
  type ProbedKind,
  type ProbedRefusal,
  type ProbedReturn,
  type ProbedReturns,
  type ProbedSets,
} from './prober';
export { shellJoin, shellQuote } from './shellQuote';
export {
  classifySshFailure,
  isSshFailure,
  SshConnection,
  SshError,
  type RunResult,
  type RunOptions as SshRunOptions,
} from './sshConnection';
export { parseTarget, type SshTarget, type SshTargetSettings } from './sshTarget';
export { splitTraceChunk, syntheticTraceCommand, TraceStream, type TraceEvents, type TraceStreamOptions } from './traceStream';
export { LineRing, TraceBuffer, type TraceSink } from './traceBuffer';
export {
  CompileError,
  LoadError,
  PIN_ROOT,
  REMOTE_DIR,
  TargetError,
  TargetSession,
  type AttachOptions,
  type CompiledObject,
  type EngineLog,
  type LoadOptions,
  type LoadReport,
  type RunOptions,
  type RunOutcome,
  type TargetErrorKind,
  type TargetSessionOptions,
  type TargetStatus,
} from './targetSession';
export { lineOfInsn, readObjectLineInfo, type LineInfo, type ObjectLineInfo, type ObjectProgram } from './btfLineInfo';
export { programResult, verifySource, type PathLine, type Verdict, type VerifyOptions, type VerifyResult } from './verify';
export { explainVerifierMessage, sameReason } from './verifierExplain';
export {
  blamedInsn,
  extractVerifierLog,
  INSN_LIMIT,
  parseVerifierLog,
  type ParsedVerifierLog,
  type PathInsn,
  type SourceAnnotation,
  type VerifierStats,
} from './verifierLog';
export { groupRefusals, kernelLensText, kernelsText, nearLimitText, programLensText, type Refusal } from './verifyReport';
