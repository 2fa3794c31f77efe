// The diagnostics' adaptive debounce (server/src/lsp/debouncePolicy.ts): a delay that follows how long a
// document's analyses take, bounded by the user's debounceMs, that never lets a typing burst starve.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AdaptiveDebounce, debounceDelay, medianOf } from '../../server/src/lsp/debouncePolicy';

describe('debounce delay from the analysis time', () => {
  it('waits half as long as an analysis takes, at least 5 ms, at most the user setting', () => {
    assert.equal(debounceDelay(2, 150), 5);
    assert.equal(debounceDelay(24.2, 150), 13);
    assert.equal(debounceDelay(400, 150), 150);
    assert.equal(debounceDelay(50, 20), 20);
  });

  it('is the user setting before any analysis was timed, and 0 when the user asks for none', () => {
    assert.equal(debounceDelay(undefined, 150), 150);
    assert.equal(debounceDelay(2, 0), 0);
    assert.equal(debounceDelay(undefined, 0), 0);
  });

  it('takes the lower median of the recent analyses', () => {
    assert.equal(medianOf([]), undefined);
    assert.equal(medianOf([7]), 7);
    assert.equal(medianOf([60, 25]), 25);
    assert.equal(medianOf([3, 90, 4]), 4);
  });
});

describe('adaptive debounce per document', () => {
  it('follows the document its own analyses, not another one', () => {
    const d = new AdaptiveDebounce();
    d.record('file:///large.bpf.c', 61);
    d.record('file:///large.bpf.c', 24);
    d.record('file:///large.bpf.c', 26);
    d.record('file:///small.bpf.c', 1.5);
    assert.equal(d.delay('file:///large.bpf.c', 1000, 150), 13);
    assert.equal(d.delay('file:///small.bpf.c', 1000, 150), 5);
    assert.equal(d.delay('file:///new.bpf.c', 1000, 150), 150);
  });

  it('forgets a slow analysis once newer ones outnumber it (eight are kept)', () => {
    const d = new AdaptiveDebounce();
    for (const ms of [300, 300, 300, 300, 5, 5, 5, 5]) d.record('u', ms);
    assert.equal(d.estimate('u'), 5);
    d.record('u', 5);
    assert.equal(d.estimate('u'), 5);
    for (const ms of [300, 300, 300, 300]) d.record('u', ms);
    assert.equal(d.estimate('u'), 5);
    d.record('u', 300);
    assert.equal(d.estimate('u'), 300);
  });

  it('ignores times that are not durations', () => {
    const d = new AdaptiveDebounce();
    d.record('u', Number.NaN);
    d.record('u', -1);
    d.record('u', Infinity);
    assert.equal(d.estimate('u'), undefined);
  });

  it('never waits past the user setting since the first edit not yet analysed, however fast the typing', () => {
    const d = new AdaptiveDebounce();
    d.record('u', 160);
    // Keystrokes every 50 ms, each resetting the timer: the delay shrinks to meet the bound.
    assert.equal(d.delay('u', 1000, 150), 80);
    assert.equal(d.delay('u', 1050, 150), 80);
    assert.equal(d.delay('u', 1100, 150), 50);
    assert.equal(d.delay('u', 1140, 150), 10);
    assert.equal(d.delay('u', 1160, 150), 0);
    // The analysis starts: the next edit waits its full delay again.
    d.started('u');
    assert.equal(d.delay('u', 1200, 150), 80);
  });

  it('starts afresh for a document closed and opened again', () => {
    const d = new AdaptiveDebounce();
    d.record('u', 4);
    assert.equal(d.delay('u', 0, 150), 5);
    d.forget('u');
    assert.equal(d.estimate('u'), undefined);
    assert.equal(d.delay('u', 500, 150), 150);
  });
});
