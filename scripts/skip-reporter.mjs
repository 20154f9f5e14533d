// A node:test reporter that writes one JSON line per skipped test or suite: { file, name, reason }.
// scripts/run-tests.mjs runs it beside the spec reporter to list the skips in its summary.
export default async function* skipReporter(source) {
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { skip, file, name } = event.data;
    if (skip === undefined || skip === false) continue;
    yield `${JSON.stringify({ file, name, reason: skip === true ? '' : String(skip) })}\n`;
  }
}
