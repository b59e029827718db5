// The order jest starts the suites in (jest.config.js's testSequencer): the real-CLI tier first,
// then the unit tier, each in jest's own order (a suite that failed last time first, then the
// longest last time; with no timings, as on a clean clone, the largest file first). A real-CLI
// suite takes 15 s to 5 min, a unit suite seconds: with the short ones last, no worker is left
// alone with a long suite at the end while the others have nothing to do.
const Sequencer = require("@jest/test-sequencer").default;

class TiersSequencer extends Sequencer {
  async sort(tests) {
    const ordered = await super.sort(tests);
    const cli = (test) => test.context.config.displayName?.name === "cli";
    return [...ordered.filter(cli), ...ordered.filter((test) => !cli(test))];
  }
}

module.exports = TiersSequencer;
