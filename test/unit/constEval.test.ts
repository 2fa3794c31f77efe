// The constant evaluator (constEval.ts) that the range, always-denies and indentation checks stand on:
// what a C expression in a return is worth, with the values C gives, and null ("not constant") wherever C
// would not say or the evaluator must not guess. Expectations are written out, not computed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Parser } from 'web-tree-sitter';
import { createCParser, parseC } from '../../server/src/analysis/cParser';
import { binaryOp, evalConstant } from '../../server/src/analysis/constEval';

describe('evalConstant', () => {
  let parser: Parser;
  before(async () => {
    parser = await createCParser();
  });
  after(() => parser.delete());

  /** The value of `expr` written as a return's operand (parentheses kept: they count towards the depth). */
  const value = (expr: string, defines: Record<string, string> = {}): number | null => {
    const tree = parseC(parser, `int f(void) { return ${expr}; }`)!;
    try {
      const ret = tree.rootNode.descendantsOfType('return_statement')[0]!;
      const operand = ret.namedChildren.find((n) => n && n.type !== 'comment')!;
      return evalConstant(operand, new Map(Object.entries(defines)));
    } finally {
      tree.delete();
    }
  };

  /** Each expression's value, as the table gives it. */
  const assertValues = (cases: [string, number | null][]) =>
    assert.deepEqual(
      cases.map(([e]) => [e, value(e)]),
      cases,
    );

  it('reads integer literals in every base, with and without suffixes', () => {
    const cases: [string, number | null][] = [
      ['0', 0],
      ['42', 42],
      ['0x1F', 31],
      ['0X1f', 31],
      ['0b101', 5],
      ['0B11', 3],
      ['017', 15],
      ['10UL', 10],
      ['0x10u', 16],
      ['7lu', 7],
      ['-4096', -4096],
      ['1.5', null],
      ["'a'", null],
      ['"s"', null],
    ];
    assertValues(cases);
  });

  it('knows errno names, true and false, and no other name', () => {
    assertValues([
      ['EPERM', 1],
      ['EACCES', 13],
      ['ENOENT', 2],
      ['EOPNOTSUPP', 95],
      ['ENOTSUP', 95],
      ['true', 1],
      ['false', 0],
      ['constructor', null],
      ['toString', null],
      ['EWHATEVER', null],
      ['err', null],
    ]);
  });

  it('follows the file’s #defines, as written: parentheses, a minus, a name, a chain of them', () => {
    const defines = {
      DENY: '(-EPERM)',
      SPACED: ' -  EACCES ',
      PLUS: '+5',
      NESTED: '((-(EPERM)))',
      ALIAS: 'DENY',
      CHAIN: 'ALIAS',
      HEX: '0x20',
      EXPR: 'EPERM + 1',
      LOOP: 'LOOP',
      PARENLOOP: '(PARENLOOP)',
      EMPTY: '',
      EPERM: '77',
    };
    assert.deepEqual(
      ['DENY', 'SPACED', 'PLUS', 'NESTED', 'ALIAS', 'CHAIN', 'HEX', 'EXPR', 'LOOP', 'PARENLOOP', 'EMPTY', '-DENY'].map((e) => [
        e,
        value(e, defines),
      ]),
      [
        // The file's own EPERM (77) wins over the errno table.
        ['DENY', -77],
        ['SPACED', -13],
        ['PLUS', 5],
        ['NESTED', -77],
        ['ALIAS', -77],
        ['CHAIN', -77],
        ['HEX', 32],
        // A define's text is read as a literal, a parenthesised or negated text, or one name: not more.
        ['EXPR', null],
        ['LOOP', null],
        ['PARENLOOP', null],
        ['EMPTY', null],
        ['-DENY', 77],
      ],
    );
  });

  it('follows eight defines each naming the next, not nine', () => {
    const chain = (n: number) => {
      const d: Record<string, string> = { D0: '-3' };
      for (let i = 1; i <= n; i++) d[`D${i}`] = `D${i - 1}`;
      return value(`D${n}`, d);
    };
    assert.equal(chain(8), -3);
    assert.equal(chain(9), null);
  });

  it('applies unary operators, and casts keep the value', () => {
    assertValues([
      ['-EPERM', -1],
      ['+EPERM', 1],
      ['- -3', 3],
      ['!0', 1],
      ['!5', 0],
      ['~0', -1],
      ['~5', -6],
      ['(int)-1', -1],
      ['(unsigned long)EACCES', 13],
      ['*p', null],
      ['&x', null],
      ['-x', null],
      ['sizeof(int)', null],
    ]);
  });

  it('applies binary operators with C’s results, and gives no value where C does not', () => {
    assertValues([
      ['1 + 2', 3],
      ['1 - 3', -2],
      ['6 * 7', 42],
      ['7 / 2', 3],
      ['-7 / 2', -3],
      ['7 % 3', 1],
      ['-7 % 3', -1],
      ['1 / 0', null],
      ['1 % 0', null],
      ['6 | 1', 7],
      ['6 & 3', 2],
      ['6 ^ 3', 5],
      ['1 << 4', 16],
      ['-16 >> 2', -4],
      ['2 == 2', 1],
      ['2 != 2', 0],
      ['1 < 2', 1],
      ['2 > 2', 0],
      ['2 <= 2', 1],
      ['1 >= 2', 0],
      // Logical operators are the value flow's (it splits paths on them), not constant folding.
      ['1 && 1', null],
      ['-EPERM | 0', -1],
      ['x + 1', null],
      ['1 + x', null],
      // Past 2^53 a number is not exact: no claim.
      ['0x7fffffffffffffff', null],
      ['0x20000000000000 + 1', null],
    ]);
  });

  it('a define is one term: not an expression, not two lines, not a name that refers to itself', () => {
    const defines = {
      SUM: '(1) + 2',
      DIFF: '5-3',
      TWO_LINES: '-1\n+ 2',
      NEG_LOOP: '-NEG_LOOP',
      DEEP: `${'('.repeat(10)}-1${')'.repeat(10)}`,
      SHALLOW: `${'('.repeat(7)}-1${')'.repeat(7)}`,
    };
    assert.deepEqual(
      Object.keys(defines).map((name) => [name, value(name, defines)]),
      [
        ['SUM', null],
        ['DIFF', null],
        ['TWO_LINES', null],
        ['NEG_LOOP', null],
        ['DEEP', null],
        ['SHALLOW', -1],
      ],
    );
  });

  it('gives up past eight levels of nesting, whatever the nesting: casts, sums', () => {
    assert.equal(value(`${'(int)'.repeat(8)}-1`), -1);
    assert.equal(value(`${'(int)'.repeat(9)}-1`), null);
    assert.equal(value(Array(9).fill('1').join(' + ')), 9);
    assert.equal(value(Array(10).fill('1').join(' + ')), null);
    // On the right: each level is a sum and its parentheses.
    assert.equal(value('1 + (1 + (1 + (1 + 1)))'), 5);
    assert.equal(value('1 + (1 + (1 + (1 + (1 + 1))))'), null);
  });

  it('looks through eight parentheses and no more', () => {
    assert.equal(value(`${'('.repeat(7)}-EPERM${')'.repeat(7)}`), -1);
    assert.equal(value(`${'('.repeat(8)}-EPERM${')'.repeat(8)}`), null);
  });
});

describe('binaryOp', () => {
  it('gives 0 or 1 for comparisons, each operator its own', () => {
    const ops = ['==', '!=', '<', '>', '<=', '>='];
    assert.deepEqual(
      ops.map((op) => [op, binaryOp(op, 1, 2), binaryOp(op, 2, 2), binaryOp(op, 3, 2)]),
      [
        ['==', 0, 1, 0],
        ['!=', 1, 0, 1],
        ['<', 1, 0, 0],
        ['>', 0, 0, 1],
        ['<=', 1, 1, 0],
        ['>=', 0, 1, 1],
      ],
    );
  });

  it('has no value for a division or remainder by zero', () => {
    assert.deepEqual(
      [binaryOp('/', 1, 0), binaryOp('%', 1, 0), binaryOp('/', 0, 0), binaryOp('/', 7, -2), binaryOp('%', 7, -2)],
      [null, null, null, -3, 1],
    );
  });

  it('has no value for an operator it does not fold', () => {
    assert.deepEqual(
      ['&&', '||', ',', '='].map((op) => binaryOp(op, 1, 1)),
      [null, null, null, null],
    );
  });
});
