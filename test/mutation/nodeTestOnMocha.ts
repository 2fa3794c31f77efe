// node:test's describe/it/before/after, run by mocha. The mutation run (npm run mutate) needs the tests
// in Stryker's in-process mocha runner, which switches mutants on and records which test covers which
// code without starting a process per mutant; our tests are written for node:test. Loaded with
// mocha's --require (register.ts), this answers `require('node:test')` with the same four functions
// (and `test`), mapped onto mocha's: options.skip becomes a skipped test, and a test's context `t` keeps
// what our tests use of it (t.skip, t.diagnostic, t.name). The tests leftOut.ts names are skipped.
import { leftOut } from './leftOut';

/* eslint-disable @typescript-eslint/no-explicit-any -- mocha's globals, typed by @types/mocha loosely */
type Options = { skip?: boolean | string; todo?: boolean | string; concurrency?: unknown; timeout?: number };
type Body = (t: TestContext) => unknown;

interface TestContext {
  readonly name: string;
  skip(message?: string): void;
  todo(message?: string): void;
  diagnostic(message: string): void;
}

const mocha = () => globalThis as any;

function split(args: unknown[]): { name: string; options: Options; fn?: Body } {
  const [name, second, third] = args;
  if (typeof name === 'function') return { name: name.name || '<anonymous>', options: {}, fn: name as Body };
  if (typeof second === 'function') return { name: String(name), options: {}, fn: second as Body };
  return { name: String(name), options: (second as Options) ?? {}, fn: third as Body | undefined };
}

function context(self: any): TestContext {
  return {
    name: self.test?.title ?? '',
    skip: () => self.skip(),
    todo: () => self.skip(),
    // node:test prints these under the test; mocha's reporter here is Stryker's, which has no place for them.
    diagnostic: () => undefined,
  };
}

const skipped = (o: Options) => Boolean(o.skip) || Boolean(o.todo);

export function it(...args: unknown[]): void {
  const { name, options, fn } = split(args);
  if (!fn || skipped(options)) return void mocha().it.skip(name);
  const test = mocha().it(name, function (this: any) {
    return fn(context(this));
  });
  // Pending, as a skipped test: known by its full title only once mocha has placed it in its suite.
  if (leftOut(test.fullTitle())) test.pending = true;
}

export const test = it;

export function describe(...args: unknown[]): void {
  const { name, options, fn } = split(args);
  const suite = skipped(options) ? mocha().describe.skip : mocha().describe;
  suite(name, function () {
    // node:test suites may be async; mocha collects tests synchronously, which all of ours are.
    void (fn as unknown as () => unknown)?.();
  });
}

/** The first test mocha will run in a suite (depth first), or undefined when it runs none. */
function firstTest(suite: any): any {
  const own = suite.tests.find((t: any) => !t.isPending());
  if (own) return own;
  for (const child of suite.suites) {
    const test = firstTest(child);
    if (test) return test;
  }
  return undefined;
}

/**
 * Stryker's runner names the test that covers code in a root beforeEach, so what a suite's `before`
 * runs would be credited to the test before it (another suite's, which never runs this hook) or, for the
 * first suite, to no test. It is the suite's first test's: a mutant there runs with that test, and the
 * hook with it. A test file's top-level `before` is the root suite's: it runs once, before every test,
 * as a module's set-up does, and stays static (no test).
 */
function creditToSuite(self: any): void {
  const ns = (globalThis as { __stryker__?: { currentTestId?: string } }).__stryker__;
  const suite = self.test?.parent;
  const test = ns && suite && !suite.root ? firstTest(suite) : undefined;
  if (test) ns!.currentTestId = test.fullTitle();
}

function hook(kind: 'before' | 'after' | 'beforeEach' | 'afterEach') {
  return (fn: Body) =>
    mocha()[kind](function (this: any) {
      if (kind === 'before') creditToSuite(this);
      return fn(context(this));
    });
}

export const before = hook('before');
export const after = hook('after');
export const beforeEach = hook('beforeEach');
export const afterEach = hook('afterEach');
