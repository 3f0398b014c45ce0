import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { stripAnsi } from './ansi.js';

describe('stripAnsi', () => {
  test('removes colours, cursor moves, titles and hyperlinks, keeps the text, tabs and newlines', () => {
    assert.equal(stripAnsi('\x1b[32m\x1b[1mready\x1b[22m\x1b[39m in 12ms'), 'ready in 12ms');
    assert.equal(stripAnsi('\x1b[2K\x1b[1Gdone'), 'done');
    assert.equal(stripAnsi('\x1b]0;my title\x07title gone'), 'title gone');
    assert.equal(stripAnsi('\x1b]8;;https://example.test\x1b\\link\x1b]8;;\x1b\\'), 'link');
    assert.equal(stripAnsi('a\tb\nc\r\x08'), 'a\tb\nc');
    assert.equal(stripAnsi('plain text: 100% [ok]'), 'plain text: 100% [ok]');
  });
});
