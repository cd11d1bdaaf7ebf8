/**
 * A second node:test reporter for `npm test`: node's own summary counts skipped tests but not
 * skipped suites (a `describe` with `skip` counts 0), so a whole suite could vanish from a run
 * unnoticed. This one lists every skipped suite and test, and every todo, with its reason and file,
 * after the spec reporter's summary.
 */
import { relative } from 'node:path';

export default async function* skipSummary(source) {
  const skipped = [];
  const todo = [];
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { name, skip, todo: todoReason, file, details } = event.data;
    const where = `${file ? relative(process.cwd(), file) : '?'} › ${name}`;
    const kind = details?.type === 'suite' ? 'suite' : 'test';
    if (skip !== undefined) skipped.push({ kind, where, reason: skip === true ? '(no reason given)' : skip });
    else if (todoReason !== undefined) todo.push({ kind, where, reason: todoReason === true ? '' : todoReason });
  }
  const suites = skipped.filter((s) => s.kind === 'suite').length;
  yield `\nskipped: ${skipped.length - suites} test(s) and ${suites} whole suite(s)${skipped.length === 0 ? '' : ':'}\n`;
  for (const s of skipped) yield `  - ${s.kind} ${s.where}: ${s.reason}\n`;
  if (todo.length > 0) {
    yield `todo: ${todo.length}\n`;
    for (const t of todo) yield `  - ${t.kind} ${t.where}${t.reason ? `: ${t.reason}` : ''}\n`;
  }
}
