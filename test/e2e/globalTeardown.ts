// Removes the run's fixture folder (test/e2e/globalSetup.ts).
import * as fs from "fs";

export default function globalTeardown(): void {
  const dir = process.env.CW_IAC_FIXTURE_DIR;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}
