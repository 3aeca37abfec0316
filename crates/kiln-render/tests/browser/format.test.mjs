// The value formatting, run directly in Node: the assets are plain ES modules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatValue, formatShare, formatChange } from '../../assets/format.js';
import { packageOf } from '../../assets/colors.js';

test('nanoseconds read as ms and s, bytes as KiB and MiB, counts with separators', () => {
  assert.equal(formatValue(990e6, 'nanoseconds'), '990 ms');
  assert.equal(formatValue(1.09e9, 'nanoseconds'), '1.09 s');
  assert.equal(formatValue(100e6, 'nanoseconds'), '100 ms');
  assert.equal(formatValue(1500, 'nanoseconds'), '1.5 µs');
  assert.equal(formatValue(2048, 'bytes'), '2 KiB');
  assert.equal(formatValue(5.5 * 2 ** 20, 'bytes'), '5.5 MiB');
  assert.equal(formatValue(1234567, 'count'), '1,234,567');
});

test('shares and changes read as percentages', () => {
  assert.equal(formatShare(1, 3), '33.3%');
  assert.equal(formatShare(1, 1e6), '<0.01%');
  assert.equal(formatChange(50), '+50%');
  assert.equal(formatChange(Infinity), 'new');
  assert.equal(formatChange(-100), 'removed');
});

test('package prefixes group frames by module', () => {
  assert.equal(packageOf('java/lang/String.indexOf'), 'java/lang/');
  assert.equal(packageOf('main.burn'), 'main.');
  assert.equal(packageOf('std::io::read'), 'std::');
  assert.equal(packageOf('<alloc::vec::Vec<T> as Drop>::drop'), 'alloc::');
  assert.equal(packageOf('github.com/x/y/pkg.(*T).Run'), 'github.com/x/y/pkg');
  assert.equal(packageOf('hot_loop (hot.py:8)'), 'hot.py');
  assert.equal(packageOf('org.example.Foo.bar'), 'org.example.');
});
