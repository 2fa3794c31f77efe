/** About 30 lines: one program with the usual includes. */
export declare function smallProgram(): string;
/** `programs` programs padded with helper code to `lines` lines in all. */
export declare function largeFile(programs?: number, lines?: number): string;
