// Builds (once) the embedded FerretDB binary used by tests and `npm start`, and prints its path.
import { ensureBinary } from './embedded-db.ts';

console.log(await ensureBinary());
