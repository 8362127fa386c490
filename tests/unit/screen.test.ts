import { test } from 'node:test';
import assert from 'node:assert/strict';
import { screenSize } from '../../collector/ingest/screen.ts';

test('returns empty for an unknown or zero width', () => {
  assert.equal(screenSize(undefined), '');
  assert.equal(screenSize(0), '');
  assert.equal(screenSize(-5), '');
  assert.equal(screenSize(Number.NaN), '');
  assert.equal(screenSize(Number.POSITIVE_INFINITY), '');
});

test('classifies widths below 576 as mobile', () => {
  assert.equal(screenSize(1), 'mobile');
  assert.equal(screenSize(390), 'mobile');
  assert.equal(screenSize(575), 'mobile');
});

test('classifies widths from 576 below 992 as tablet', () => {
  assert.equal(screenSize(576), 'tablet');
  assert.equal(screenSize(820), 'tablet');
  assert.equal(screenSize(991), 'tablet');
});

test('classifies widths from 992 below 1440 as laptop', () => {
  assert.equal(screenSize(992), 'laptop');
  assert.equal(screenSize(1366), 'laptop');
  assert.equal(screenSize(1439), 'laptop');
});

test('classifies widths of 1440 and above as desktop', () => {
  assert.equal(screenSize(1440), 'desktop');
  assert.equal(screenSize(2560), 'desktop');
});
