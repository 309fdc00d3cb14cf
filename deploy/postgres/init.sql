-- Runs once, as the superuser, when the postgres container starts on an empty data directory
-- (compose mounts this folder at /docker-entrypoint-initdb.d). It creates the role Minqing
-- connects as and the database that role owns.
--
-- The role is NOT a superuser and has no BYPASSRLS: superusers and BYPASSRLS roles pass through
-- row-level security, which is what keeps one tenant's rows from another's. The tables are
-- created by Minqing's own migrations at start-up, as this role; it owns them, and their
-- FORCE ROW LEVEL SECURITY binds the owner too.
--
-- The password comes from the container's environment (MINQING_DB_PASSWORD); \getenv needs
-- psql 15 or later, which the postgres:15 image has.
\set ON_ERROR_STOP on
\getenv minqing_password MINQING_DB_PASSWORD
\if :{?minqing_password}
\else
DO $$ BEGIN RAISE EXCEPTION 'set MINQING_DB_PASSWORD in the postgres container''s environment'; END $$;
\endif

SELECT format(
  'CREATE ROLE minqing LOGIN PASSWORD %L NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION',
  :'minqing_password'
) \gexec

CREATE DATABASE minqing OWNER minqing ENCODING 'UTF8' TEMPLATE template0;
REVOKE ALL ON DATABASE minqing FROM PUBLIC;

\connect minqing
-- On PostgreSQL 15 the public schema belongs to pg_database_owner; make it plainly Minqing's.
ALTER SCHEMA public OWNER TO minqing;
