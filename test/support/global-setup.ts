import type { TestProject } from 'vitest/node';
import { startEmbeddedMongo } from '../../bin/embedded-db/embedded-db.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    mongoUri: string;
  }
}

/** One database server for the whole run: MONGODB_URI when set, else a private FerretDB. */
export default async function setup(project: TestProject) {
  if (process.env.MONGODB_URI) {
    project.provide('mongoUri', process.env.MONGODB_URI);
    return;
  }
  const db = await startEmbeddedMongo();
  project.provide('mongoUri', db.uri);
  return () => db.stop();
}
