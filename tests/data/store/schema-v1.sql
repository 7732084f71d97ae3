-- The schema of a stica database at version 1, exactly as migration 1 of
-- store/sqlite.c created it, with its schema_migrations row: the old
-- databases that tests/unit/test_store.c (t_migrate_v1) and
-- tests/integ/test_store_crash.sh build with the sqlite3 CLI to check
-- that they still open and migrate.  Never edit it: it is history.
PRAGMA journal_mode = WAL;
PRAGMA application_id = 1398031169;
CREATE TABLE certs (  id INTEGER PRIMARY KEY,  issuer TEXT NOT NULL,  serial BLOB NOT NULL CHECK (typeof(serial) = 'blob' AND    length(serial) BETWEEN 1 AND 20),  profile TEXT NOT NULL,  subject TEXT NOT NULL,  tnauth BLOB,  not_before INTEGER NOT NULL,  not_after INTEGER NOT NULL,  tbs BLOB,  der BLOB,  status TEXT NOT NULL CHECK (status IN    ('pending', 'valid', 'revoked', 'aborted')),  request_key TEXT,  created_at INTEGER NOT NULL,  issued_at INTEGER,  revoked_at INTEGER,  reason INTEGER,  abort_reason TEXT,  UNIQUE (serial, issuer),  CHECK ((der IS NOT NULL) = (status IN ('valid', 'revoked'))),  CHECK ((tbs IS NULL) = (der IS NOT NULL)),  CHECK ((revoked_at IS NOT NULL) = (status = 'revoked')));
CREATE UNIQUE INDEX certs_request ON certs (request_key)  WHERE request_key IS NOT NULL;
CREATE INDEX certs_pending ON certs (issuer, id)  WHERE status = 'pending';
CREATE INDEX certs_revoked ON certs (issuer, serial)  WHERE status = 'revoked';
CREATE TRIGGER certs_no_delete BEFORE DELETE ON certs BEGIN  SELECT RAISE(ABORT, 'certs: rows are never deleted'); END;
CREATE TRIGGER certs_fixed BEFORE UPDATE OF issuer, serial, profile,  subject, tnauth, not_before, not_after, created_at ON certs BEGIN  SELECT RAISE(ABORT, 'certs: recorded fields never change'); END;
CREATE TABLE crl_numbers (  issuer TEXT PRIMARY KEY,  last INTEGER NOT NULL CHECK (last > 0)) WITHOUT ROWID;
CREATE TABLE audit (  seq INTEGER PRIMARY KEY,  line TEXT NOT NULL);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN  SELECT RAISE(ABORT, 'audit: the log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN  SELECT RAISE(ABORT, 'audit: the log is append-only'); END;
CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL);
INSERT INTO schema_migrations (version, applied_at) VALUES (1, '2026-11-30T06:00:00Z');
