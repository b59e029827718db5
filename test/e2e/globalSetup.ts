// The real-CLI tier's set-up for one jest run: a folder for the fixtures its suites share
// (test/e2e/tenantFixture.ts), named in CW_IAC_FIXTURE_DIR for the workers. Nothing is converged
// here: the first suite that needs a fixture makes it, so a run of suites that need none pays nothing.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export default function globalSetup(): void {
  process.env.CW_IAC_FIXTURE_DIR = fs.mkdtempSync(path.join(os.tmpdir(), "cw-iac-fixtures-"));
}
