// Does a lookup by slug use the index? For each embedded backend (or EMBEDDED_DB's alone): an
// organizations collection with the product's unique slug index and 50, then 5,000 documents; prints
// whether FerretDB pushed the filter down, the plan it reports for find({slug}) (SQLite's or
// PostgreSQL's EXPLAIN, from `explain`) and the mean time of a findOne({slug}) over 200 calls.
//
//   npm run db:probe                      # both backends
//   EMBEDDED_DB=postgresql npm run db:probe
import { MongoClient } from 'mongodb';
import { type EmbeddedBackend, embeddedBackend, startEmbeddedMongo } from './embedded-db.ts';

const backends: EmbeddedBackend[] = process.env.EMBEDDED_DB ? [embeddedBackend()] : ['sqlite', 'postgresql'];
const sizes = [50, 5_000];
const calls = 200;

/** The node types of a plan, outermost first: PostgreSQL's JSON plan or SQLite's detail lines. */
function planSummary(queryPlanner: unknown): string {
  const plan = (queryPlanner as { Plan?: unknown })?.Plan;
  if (Array.isArray(plan)) return plan.map((line) => String(line).replace(/^.*detail=/, '')).join('; ');
  const nodes: string[] = [];
  for (let node = plan as Record<string, unknown> | undefined; node; ) {
    nodes.push([node['Node Type'], node['Index Name'], node.Filter ?? node['Index Cond']].filter(Boolean).join(' '));
    node = (node.Plans as Record<string, unknown>[] | undefined)?.[0];
  }
  return nodes.join(' <- ');
}

for (const backend of backends) {
  const db = await startEmbeddedMongo({ backend });
  const client = await MongoClient.connect(db.uri);
  try {
    for (const n of sizes) {
      const organizations = client.db(`probe${n}`).collection('organizations');
      await organizations.createIndex({ slug: 1 }, { name: 'slug_unique', unique: true });
      const docs = Array.from({ length: n }, (_, i) => ({ slug: `org-${i}`, name: `Org ${i}`, createdAt: new Date() }));
      for (let i = 0; i < n; i += 1_000) await organizations.insertMany(docs.slice(i, i + 1_000));

      const explained = await organizations.find({ slug: `org-${n >> 1}` }).explain();
      for (let i = 0; i < 20; i++) await organizations.findOne({ slug: `org-${i % n}` });
      const start = performance.now();
      for (let i = 0; i < calls; i++) await organizations.findOne({ slug: `org-${(i * 7) % n}` });
      const mean = (performance.now() - start) / calls;

      console.log(
        `${backend.padEnd(10)} ${String(n).padStart(5)} docs  findOne({slug}) ${mean.toFixed(2).padStart(6)} ms  ` +
          `pushdown ${explained.filterPushdown}  plan: ${planSummary(explained.queryPlanner)}`,
      );
    }
  } finally {
    await client.close();
    await db.stop();
  }
}
