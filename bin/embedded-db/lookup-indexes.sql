-- Index twins for FerretDB 1.24's PostgreSQL backend (a test server's workaround, not the product's).
--
-- FerretDB turns createIndexes into btree indexes on `((_jsonb -> 'field'))` but pushes an equality
-- filter down as `(_jsonb -> 'field') @> value`, which a btree cannot serve: every look-up is then a
-- sequential scan, and a look-up's cost grows with its collection, where MongoDB's does not. This
-- event trigger gives every such index a GIN twin on the same expression (jsonb_ops serves `@>`), so
-- `find({slug})`, `find({_id})` and the like become index scans, as on MongoDB. It runs in the
-- `ferretdb` database, before FerretDB starts, and only for indexes made after it.
CREATE OR REPLACE FUNCTION orgs_lookup_index_twins() RETURNS event_trigger
LANGUAGE plpgsql AS $$
DECLARE
  cmd record;
  keys int;
  expr text;
  twin text;
BEGIN
  FOR cmd IN SELECT * FROM pg_event_trigger_ddl_commands() WHERE object_type = 'index' LOOP
    -- Not for the twins themselves (GIN), nor for indexes on anything but FerretDB's documents.
    CONTINUE WHEN (SELECT a.amname FROM pg_class c JOIN pg_am a ON a.oid = c.relam WHERE c.oid = cmd.objid) <> 'btree';
    SELECT i.indnatts INTO keys FROM pg_index i WHERE i.indexrelid = cmd.objid;
    FOR k IN 1..keys LOOP
      expr := pg_get_indexdef(cmd.objid, k, true);
      CONTINUE WHEN expr NOT LIKE '%_jsonb -> %';
      twin := left((SELECT relname FROM pg_class WHERE oid = cmd.objid), 55) || '_gin' || k;
      EXECUTE format(
        'CREATE INDEX IF NOT EXISTS %I ON %s USING gin ((%s))',
        twin,
        (SELECT i.indrelid::regclass::text FROM pg_index i WHERE i.indexrelid = cmd.objid),
        expr
      );
    END LOOP;
  END LOOP;
END
$$;

DROP EVENT TRIGGER IF EXISTS orgs_lookup_index_twins;
CREATE EVENT TRIGGER orgs_lookup_index_twins ON ddl_command_end
  WHEN TAG IN ('CREATE INDEX', 'CREATE TABLE')
  EXECUTE FUNCTION orgs_lookup_index_twins();
