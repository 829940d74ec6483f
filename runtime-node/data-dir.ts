// The data directory is checked once at start: a directory the server cannot write to would
// otherwise surface as one failed room after another, each with SQLite's own message.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { RoomkitError } from "../src/errors.ts";

/** Creates `dir` if needed and writes a file in it; throws one line (a `CONFIG` RoomkitError) when it cannot. */
export function checkDataDir(dir: string): void {
  const probe = join(dir, `.roomkit-write-check-${process.pid}`);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(probe, "");
    rmSync(probe, { force: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new RoomkitError("CONFIG", "", `the data directory "${dir}" is not writable (${code}); set ROOMKIT_DATA_DIR or dataDir to a directory the server can write to`, { cause: error });
  }
}
