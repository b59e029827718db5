// Runs before every suite (jest setupFiles): the providers a suite starts keep their create
// journal (provider/kit/journal.ts) in a temporary folder of this worker, never in the user's
// ~/.local/state. A suite may still set its own.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

process.env.CW_IAC_JOURNAL_DIR ??= fs.mkdtempSync(path.join(os.tmpdir(), "cw-iac-journal-"));
