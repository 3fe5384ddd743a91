/** Where the tests find the repository and the venv that provides atlas-lsp and python. */
import { resolve } from "node:path";

export const REPO = resolve(__dirname, "../../../..");
/** `$ATLAS_VENV`, absolute or relative to the repository; default its `.venv`. */
export const VENV = resolve(REPO, process.env.ATLAS_VENV ?? ".venv");
