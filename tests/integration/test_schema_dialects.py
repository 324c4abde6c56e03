"""The schema in its two dialects stays one schema: every SQLite migration
(schema/NNN_x.sql) applied to a fresh SQLite file with python's sqlite3,
every PostgreSQL one (schema/postgresql/NNN_x.sql) to a fresh PostgreSQL
database, each in its own transaction as the controller applies them, give
the same tables, with the same columns in the same order, types (INTEGER as
bigint, REAL as double precision, TEXT as text), NOT NULLs, defaults,
identity for SQLite's rowid aliases, primary keys, unique and foreign keys,
and the same indexes by name on the same columns. The same rows, stored
before 010_acct.sql, give the same rows after it in every table: its INSERT
... SELECT, the one migration that moves data, means the same in both.

The PostgreSQL server is POD_TEST_PG's, a libpq URL of a server where the
test may CREATE DATABASE (postgresql://pod@127.0.0.1:5433/postgres); each
test makes a database of its own there and drops it at the end. Without
POD_TEST_PG the test is skipped (exit 77). It talks to the server with
psql (Debian's postgresql-client): python has no PostgreSQL driver here."""

import glob
import os
import re
import sqlite3
import subprocess
import sys
import uuid
from urllib.parse import urlsplit

from podtest import SOURCE, TempDir, run

PG = os.environ.get("POD_TEST_PG")
if not PG:
    print("SKIP: POD_TEST_PG is not set; it names a PostgreSQL server where "
          "this test may CREATE DATABASE, e.g. "
          "POD_TEST_PG=postgresql://pod@127.0.0.1:5433/postgres")
    sys.exit(77)

SCHEMA = os.path.join(SOURCE, "schema")
LITE_FILES = sorted(glob.glob(os.path.join(SCHEMA, "[0-9][0-9][0-9]_*.sql")))
PG_FILES = sorted(glob.glob(os.path.join(SCHEMA, "postgresql",
                                         "[0-9][0-9][0-9]_*.sql")))
# SQLite's declared type: PostgreSQL's
TYPES = {"INTEGER": "bigint", "REAL": "double precision", "TEXT": "text"}
# PostgreSQL's stand-in for PRAGMA user_version (controllerd/db_pg.c): the
# controller's bookkeeping, not the schema's
BOOKKEEPING = {"schema_version"}
# pg_constraint.confdeltype: SQLite's words for it
ON_DELETE = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE",
             "n": "SET NULL", "d": "SET DEFAULT"}
NULL = "\\N"  # how psql prints NULL here (-P null=)
tmp = TempDir("schema-dialects")


def psql(url, sql=None, path=None):
    """Runs sql, or the file at path in one transaction, on url; returns
    the rows printed, each a list of its fields. Raises AssertionError
    with psql's words on any error."""
    argv = ["psql", "-X", "-q", "-A", "-t", "-F", "|", "-P",
            "null=" + NULL, "-v", "ON_ERROR_STOP=1", "-d", url]
    argv += ["-1", "-f", path] if path else ["-c", sql]
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    except FileNotFoundError:
        raise AssertionError("psql not found: install Debian's "
                             "postgresql-client")
    if p.returncode != 0:
        raise AssertionError("psql on %s: %s failed:\n%s"
                             % (url, os.path.relpath(path, SOURCE) if path
                                else sql, p.stderr.strip()))
    return [line.split("|") for line in p.stdout.splitlines() if line]


def database_url(name):
    """POD_TEST_PG with its database replaced by name."""
    if "://" in PG:
        u = urlsplit(PG)  # urlunsplit would drop the // of an empty host
        return "%s://%s/%s%s" % (u.scheme, u.netloc, name,
                                 "?" + u.query if u.query else "")
    return PG + " dbname=" + name  # a key=value string: the last one wins


class Scratch:
    """A database of its own on POD_TEST_PG's server, dropped on exit
    (`with Scratch() as url:`). Its name is ours, [a-z0-9_] only: DDL
    takes no parameters."""

    def __enter__(self):
        self.name = "pod_schema_test_%d_%s" % (os.getpid(),
                                               uuid.uuid4().hex[:8])
        psql(PG, "CREATE DATABASE %s" % self.name)
        return database_url(self.name)

    def __exit__(self, *exc):
        psql(PG, "DROP DATABASE IF EXISTS %s WITH (FORCE)" % self.name)


def version_of(path):
    return int(os.path.basename(path)[:3])


def steps_with(files, fixture, before):
    """The migrations in order, with the SQL fixture ahead of version
    before."""
    at = [version_of(f) for f in files].index(before)
    return files[:at] + [fixture] + files[at:]


def migrate_lite(path, steps):
    """Applies each step (a migration file, or SQL text) to a new SQLite
    file at path as the controller does: foreign keys on, one transaction
    each, user_version set in it. Returns the connection."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA foreign_keys = ON")
    for step in steps:
        if os.path.isfile(step):
            with open(step) as f:
                sql = "%s\n;\nPRAGMA user_version = %d" % (f.read(),
                                                           version_of(step))
            what = os.path.relpath(step, SOURCE)
        else:
            sql, what = step, step
        try:
            db.executescript("BEGIN IMMEDIATE;\n%s\n;\nCOMMIT;" % sql)
        except sqlite3.Error as e:
            raise AssertionError("SQLite: %s failed: %s" % (what, e))
    return db


def migrate_pg(url, steps):
    """Applies each step (a migration file, or SQL text) to url, one
    transaction each."""
    for step in steps:
        if os.path.isfile(step):
            psql(url, path=step)
        else:
            psql(url, step)


def lite_schema(db):
    """{table: description} of a SQLite database, in the form
    pg_schema gives."""
    tables = {}
    names = [r[0] for r in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'"
        " AND name NOT LIKE 'sqlite_%'")]
    for t in names:
        cols = db.execute("PRAGMA table_info(%s)" % t).fetchall()
        sql = db.execute("SELECT sql FROM sqlite_master WHERE name = ?",
                         (t,)).fetchone()[0]
        pk = [c[1] for c in sorted((c for c in cols if c[5]),
                                   key=lambda c: c[5])]
        # an INTEGER PRIMARY KEY of a rowid table is the rowid: chosen
        # when left out, as an identity column's value is
        rowid = None
        if len(pk) == 1 and not re.search(r"\bWITHOUT\s+ROWID\b", sql,
                                          re.I):
            decl = next(c[2] for c in cols if c[1] == pk[0])
            rowid = pk[0] if decl.upper() == "INTEGER" else None
        desc = {"columns": [], "pk": pk, "unique": set(), "fk": set(),
                "index": {}}
        for _, name, decl, notnull, default, in_pk in cols:
            # SQLite lets a rowid table's non-INTEGER key hold NULL, an
            # old bug kept for compatibility; a key is meant NOT NULL, and
            # is in PostgreSQL
            desc["columns"].append(
                {"name": name, "type": TYPES.get(decl.upper(), decl),
                 "decl": decl, "notnull": bool(notnull or in_pk),
                 "default": default, "identity": name == rowid})
        for _, name, unique, origin, partial in db.execute(
                "PRAGMA index_list(%s)" % t):
            on = tuple(r[2] for r in db.execute(
                "PRAGMA index_info(%s)" % name))
            if origin == "u":
                desc["unique"].add(on)
            elif origin == "c":
                desc["index"][name] = (on, bool(unique), bool(partial))
        fks = {}
        for fid, _, ref, frm, to, _, on_delete, _ in db.execute(
                "PRAGMA foreign_key_list(%s)" % t):
            fks.setdefault(fid, [ref, [], [], on_delete])
            fks[fid][1].append(frm)
            fks[fid][2].append(to)
        for ref, frm, to, on_delete in fks.values():
            if None in to:  # REFERENCES t with no columns: t's key
                to = [c[1] for c in sorted(
                    (c for c in db.execute("PRAGMA table_info(%s)" % ref)
                     if c[5]), key=lambda c: c[5])]
            desc["fk"].add((tuple(frm), ref, tuple(to), on_delete))
        tables[t] = desc
    return tables


# the columns of the ordinary tables of the schema public, in order
PG_COLUMNS = """
SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
       a.attnotnull, a.attidentity,
       COALESCE(pg_get_expr(d.adbin, d.adrelid), '')
FROM pg_class c
JOIN pg_namespace s ON s.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
    AND NOT a.attisdropped
LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
WHERE s.nspname = 'public' AND c.relkind IN ('r', 'p')
ORDER BY c.relname, a.attnum"""
# primary, unique and foreign keys: kind, columns, referenced table and
# columns, on delete
PG_KEYS = """
SELECT c.relname, k.contype,
       (SELECT string_agg(a.attname, ',' ORDER BY i.n)
        FROM unnest(k.conkey) WITH ORDINALITY i (num, n)
        JOIN pg_attribute a ON a.attrelid = k.conrelid
            AND a.attnum = i.num),
       COALESCE(f.relname, ''),
       COALESCE((SELECT string_agg(a.attname, ',' ORDER BY i.n)
        FROM unnest(k.confkey) WITH ORDINALITY i (num, n)
        JOIN pg_attribute a ON a.attrelid = k.confrelid
            AND a.attnum = i.num), ''),
       k.confdeltype
FROM pg_constraint k
JOIN pg_class c ON c.oid = k.conrelid
JOIN pg_namespace s ON s.oid = c.relnamespace
LEFT JOIN pg_class f ON f.oid = k.confrelid
WHERE s.nspname = 'public' AND k.contype IN ('p', 'u', 'f')"""
# indexes of their own (CREATE INDEX), not those of a key; whether one is
# partial, not its predicate, which the two dialects print differently
PG_INDEXES = """
SELECT t.relname, i.relname,
       (SELECT string_agg(a.attname, ',' ORDER BY k.n)
        FROM unnest(x.indkey::int2[]) WITH ORDINALITY k (num, n)
        JOIN pg_attribute a ON a.attrelid = x.indrelid
            AND a.attnum = k.num),
       x.indisunique, x.indpred IS NOT NULL
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_namespace s ON s.oid = t.relnamespace
WHERE s.nspname = 'public' AND NOT EXISTS (
    SELECT 1 FROM pg_constraint k
    WHERE k.conindid = x.indexrelid AND k.contype IN ('p', 'u', 'x'))"""


def pg_schema(url):
    """{table: description} of the PostgreSQL database at url."""
    tables = {}
    for t, name, type_, notnull, identity, default in psql(url, PG_COLUMNS):
        if t in BOOKKEEPING:
            continue
        desc = tables.setdefault(t, {"columns": [], "pk": [],
                                     "unique": set(), "fk": set(),
                                     "index": {}})
        desc["columns"].append(
            {"name": name, "type": type_, "decl": type_,
             "notnull": notnull == "t", "default": default or None,
             "identity": identity})
    for t, kind, cols, ref, refcols, on_delete in psql(url, PG_KEYS):
        if t not in tables:
            continue
        cols = tuple(cols.split(","))
        if kind == "p":
            tables[t]["pk"] = list(cols)
        elif kind == "u":
            tables[t]["unique"].add(cols)
        else:
            tables[t]["fk"].add((cols, ref, tuple(refcols.split(",")),
                                 ON_DELETE[on_delete]))
    for t, name, cols, unique, partial in psql(url, PG_INDEXES):
        if t in tables:
            tables[t]["index"][name] = (tuple(cols.split(",")),
                                        unique == "t", partial == "t")
    return tables


def plain_default(text):
    """A default as written, without PostgreSQL's casts and quotes around
    a number: "'-1'::integer" and "-1" are both -1, "''::text" is ''."""
    if text is None:
        return None
    text = text.strip()
    while re.search(r"::[a-z ]+$", text):
        text = re.sub(r"::[a-z ]+$", "", text).strip()
    m = re.fullmatch(r"'?\(?(-?[0-9]+(?:\.[0-9]*)?(?:e[-+]?[0-9]+)?)\)?'?",
                     text, re.I)
    return float(m.group(1)) if m else text


def compare_columns(t, lite, pg):
    """What differs between the columns of table t, one line each."""
    diffs = []
    lnames = [c["name"] for c in lite]
    pnames = [c["name"] for c in pg]
    for n in lnames:
        if n not in pnames:
            diffs.append("table %s, column %s: in SQLite, not in PostgreSQL"
                         % (t, n))
    for n in pnames:
        if n not in lnames:
            diffs.append("table %s, column %s: in PostgreSQL, not in SQLite"
                         % (t, n))
    common_l = [n for n in lnames if n in pnames]
    common_p = [n for n in pnames if n in lnames]
    if common_l != common_p:
        diffs.append("table %s: columns in another order: SQLite %s, "
                     "PostgreSQL %s" % (t, ", ".join(common_l),
                                        ", ".join(common_p)))
    pcols = {c["name"]: c for c in pg}
    for lc in lite:
        pc = pcols.get(lc["name"])
        if pc is None:
            continue
        where = "table %s, column %s" % (t, lc["name"])
        if lc["type"] != pc["type"]:
            diffs.append("%s: SQLite's %s wants PostgreSQL's %s, it is %s"
                         % (where, lc["decl"], lc["type"], pc["type"]))
        if lc["notnull"] != pc["notnull"]:
            diffs.append("%s: NOT NULL in %s only" % (
                where, "SQLite" if lc["notnull"] else "PostgreSQL"))
        if plain_default(lc["default"]) != plain_default(pc["default"]):
            diffs.append("%s: default %s in SQLite, %s in PostgreSQL"
                         % (where, lc["default"], pc["default"]))
        if lc["identity"] and pc["identity"] != "d":
            diffs.append("%s: SQLite's rowid alias (INTEGER PRIMARY KEY) "
                         "wants GENERATED BY DEFAULT AS IDENTITY, PostgreSQL"
                         " has %s" % (where, {"": "no identity",
                                              "a": "ALWAYS"}[pc["identity"]]))
        if not lc["identity"] and pc["identity"]:
            diffs.append("%s: an identity in PostgreSQL only" % where)
    return diffs


def compare(lite, pg):
    """What differs between two schemas, one line each."""
    diffs = []
    for t in sorted(set(lite) - set(pg)):
        diffs.append("table %s: in SQLite, not in PostgreSQL" % t)
    for t in sorted(set(pg) - set(lite)):
        diffs.append("table %s: in PostgreSQL, not in SQLite" % t)
    for t in sorted(set(lite) & set(pg)):
        lt, pt = lite[t], pg[t]
        diffs += compare_columns(t, lt["columns"], pt["columns"])
        if lt["pk"] != pt["pk"]:
            diffs.append("table %s: primary key (%s) in SQLite, (%s) in "
                         "PostgreSQL" % (t, ", ".join(lt["pk"]),
                                         ", ".join(pt["pk"])))
        for cols in sorted(lt["unique"] ^ pt["unique"]):
            diffs.append("table %s, column %s: UNIQUE in %s only" % (
                t, ", ".join(cols),
                "SQLite" if cols in lt["unique"] else "PostgreSQL"))
        for fk in sorted(lt["fk"] ^ pt["fk"]):
            diffs.append("table %s, column %s: REFERENCES %s (%s) ON DELETE"
                         " %s in %s only" % (
                             t, ", ".join(fk[0]), fk[1], ", ".join(fk[2]),
                             fk[3], "SQLite" if fk in lt["fk"]
                             else "PostgreSQL"))
        for name in sorted(set(lt["index"]) | set(pt["index"])):
            li, pi = lt["index"].get(name), pt["index"].get(name)
            if li != pi:
                diffs.append("table %s, index %s: SQLite %s, PostgreSQL %s"
                             % (t, name, index_said(li), index_said(pi)))
    return diffs


def index_said(index):
    """An index as compare() describes it: None is none."""
    if index is None:
        return "none"
    cols, unique, partial = index
    return "on (%s)%s%s" % (", ".join(cols), " UNIQUE" if unique else "",
                            " partial" if partial else "")


def test_every_migration_has_its_twin():
    """schema/NNN_x.sql and schema/postgresql/NNN_x.sql, one for one, each
    PostgreSQL file saying at its top which it mirrors."""
    assert len(LITE_FILES) >= 11, LITE_FILES
    lite = [os.path.basename(f) for f in LITE_FILES]
    pg = [os.path.basename(f) for f in PG_FILES]
    assert lite == pg, "only in schema/: %s; only in schema/postgresql/: " \
        "%s" % (sorted(set(lite) - set(pg)), sorted(set(pg) - set(lite)))
    for f in PG_FILES:
        with open(f) as fh:
            head = fh.readline()
        twin = "schema/" + os.path.basename(f)
        assert head.startswith("--") and twin in head, \
            "%s: its first line should say it mirrors %s: %r" % (
                os.path.relpath(f, SOURCE), twin, head)


def test_the_schemas_are_the_same():
    lite = lite_schema(migrate_lite(tmp.file("schema.db"), LITE_FILES))
    with Scratch() as url:
        migrate_pg(url, PG_FILES)
        pg = pg_schema(url)
    assert "acct" in lite and "jobs" in lite, sorted(lite)
    diffs = compare(lite, pg)
    assert not diffs, "the PostgreSQL schema differs from SQLite's:\n  " + \
        "\n  ".join(diffs)


def test_the_comparison_sees_a_difference():
    """compare() on small schemas: what it must report, naming table and
    column, and nothing when they agree."""
    db = migrate_lite(tmp.file("small.db"), [
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER NOT NULL,"
        " b REAL DEFAULT 1, c TEXT UNIQUE);"
        "CREATE INDEX t_a ON t (a)"])
    lite = lite_schema(db)
    with Scratch() as url:
        psql(url, "CREATE TABLE t (id BIGINT GENERATED BY DEFAULT AS "
             "IDENTITY PRIMARY KEY, a BIGINT NOT NULL, b DOUBLE PRECISION "
             "DEFAULT 1, c TEXT UNIQUE); CREATE INDEX t_a ON t (a)")
        assert compare(lite, pg_schema(url)) == []
        psql(url, "ALTER TABLE t ALTER COLUMN a DROP NOT NULL;"
             " ALTER TABLE t ALTER COLUMN b TYPE INTEGER;"
             " ALTER TABLE t ALTER COLUMN b SET DEFAULT 2;"
             " ALTER TABLE t ALTER COLUMN id DROP IDENTITY;"
             " DROP INDEX t_a; CREATE INDEX t_a ON t (a, c);"
             " CREATE TABLE u (x TEXT)")
        got = compare(lite, pg_schema(url))
    assert got == [
        "table u: in PostgreSQL, not in SQLite",
        "table t, column id: SQLite's rowid alias (INTEGER PRIMARY KEY) "
        "wants GENERATED BY DEFAULT AS IDENTITY, PostgreSQL has no identity",
        "table t, column a: NOT NULL in SQLite only",
        "table t, column b: SQLite's REAL wants PostgreSQL's double "
        "precision, it is integer",
        "table t, column b: default 1 in SQLite, 2 in PostgreSQL",
        "table t, index t_a: SQLite on (a), PostgreSQL on (a, c)"], got


# Rows stored before 010_acct.sql, in SQL both dialects read: jobs of
# every kind the backfill sorts (ended, running, cancelled in the queue,
# pending, requeued, ended at once), ranks listed out of node order.
FIXTURE = """
INSERT INTO pods (name, nodes_total, groups_total, accels_per_node,
    power_budget_w, cooling_capacity_w) VALUES ('pod01', 3, 1, 4, 40000.5,
    52000);
INSERT INTO nodes (name, pod, grp) VALUES ('pod01-n001', 'pod01', 'g1'),
    ('pod01-n002', 'pod01', 'g1'), ('pod01-n003', 'pod01', 'g1');
INSERT INTO jobs (name, command, nnodes, accels_per_node, accels_total,
    exclusive, within, time_limit_s, priority, requeue, state, attempt,
    submit_ms, start_ms, end_ms, exit_code, energy_j, submitted_by, "user",
    account, qos, partition) VALUES
  ('ended', '["a"]', 2, 4, 8, 1, 'pod', 3600, 10, 0, 'completed', 1,
    1700000000000, 1700000001000, 1700000361000, 0, 1234.5, 'admin',
    'alice', 'physics', 'high', 'gpu'),
  ('running', '["b"]', 1, 4, 4, 0, 'group', 600, 5, 0, 'running', 1,
    1700000002000, 1700000003000, NULL, NULL, 10.25, 'bob', '', '', '', ''),
  ('cancelled', '["c"]', 1, 2, 2, 0, 'group', 600, 5, 0, 'cancelled', 0,
    1700000004000, NULL, NULL, NULL, NULL, 'carol', 'carol', '', '', ''),
  ('pending', '["d"]', 1, 1, 1, 0, 'group', 600, 5, 0, 'pending', 0,
    1700000005000, NULL, NULL, NULL, NULL, 'dave', 'dave', '', '', ''),
  ('requeued', '["e"]', 2, 3, 3, 0, 'fabric', 600, 5, 1, 'failed', 2,
    1700000006000, 1700000010000, 1700001244567, 3, 99.0, 'erin', 'erin',
    'chem', '', 'cpu'),
  ('instant', '["f"]', 1, 1, 1, 0, 'group', 600, 5, 0, 'failed', 1,
    1700000007000, 1700000008000, 1700000008000, 1, 0.125, 'frank', '',
    '', 'low', '');
INSERT INTO job_ranks (job_id, attempt, rank, node_id, accel_mask, state,
    exit_code) VALUES
  (1, 1, 0, 3, 15, 'ended', 0), (1, 1, 1, 1, 15, 'ended', 0),
  (2, 1, 0, 2, 15, 'running', NULL),
  (5, 1, 0, 1, 7, 'ended', 1), (5, 1, 1, 2, 7, 'ended', 1),
  (5, 2, 0, 2, 7, 'ended', 3), (5, 2, 1, 3, 7, 'ended', 3),
  (6, 1, 0, 1, 1, 'ended', 1)
"""


def typed(decl, value):
    """A stored value, as psql prints it or as sqlite3 gives it, as
    python's by the column's type in SQLite."""
    if value is None or value == NULL:
        return None
    if decl.upper() == "INTEGER":
        return int(value)
    if decl.upper() == "REAL":
        return float(value)
    return str(value)


def rows_by_key(desc, rows):
    """{primary key: {column: value}} of rows, each in desc's columns'
    order, typed by SQLite's declared types."""
    cols = desc["columns"]
    out = {}
    for r in rows:
        row = {c["name"]: typed(c["decl"], v) for c, v in zip(cols, r)}
        key = tuple(row[k] for k in desc["pk"]) if desc["pk"] \
            else tuple(row.values())
        out[key] = row
    return out


def compare_rows(t, desc, lite, pg):
    """What differs between two tables' rows, one line each, by key."""
    diffs = []
    for key in sorted(set(lite) | set(pg), key=repr):
        where = "table %s, row %s" % (t, ", ".join(
            "%s=%r" % kv for kv in zip(desc["pk"] or ["row"], key)))
        if key not in pg:
            diffs.append("%s: in SQLite, not in PostgreSQL" % where)
        elif key not in lite:
            diffs.append("%s: in PostgreSQL, not in SQLite" % where)
        else:
            diffs += ["%s, column %s: SQLite %r, PostgreSQL %r"
                      % (where, c, v, pg[key][c])
                      for c, v in lite[key].items() if v != pg[key][c]]
    return diffs


def test_the_same_rows_give_the_same_rows():
    steps = steps_with(LITE_FILES, FIXTURE, 10)
    db = migrate_lite(tmp.file("rows.db"), steps)
    lite = lite_schema(db)
    diffs = []
    with Scratch() as url:
        migrate_pg(url, steps_with(PG_FILES, FIXTURE, 10))
        pg = pg_schema(url)
        for t in sorted(set(lite) & set(pg)):
            # the columns both have, as SQLite orders them: what else
            # differs is test_the_schemas_are_the_same's to say
            both = {c["name"] for c in pg[t]["columns"]}
            desc = dict(lite[t], columns=[c for c in lite[t]["columns"]
                                          if c["name"] in both])
            select = "SELECT %s FROM %s" % (", ".join(
                '"%s"' % c["name"] for c in desc["columns"]), t)
            try:
                pg_rows = psql(url, select)
            except AssertionError as e:
                diffs.append("table %s: %s" % (t, e))
                continue
            diffs += compare_rows(t, desc,
                                  rows_by_key(desc, db.execute(select)),
                                  rows_by_key(desc, pg_rows))
    acct = db.execute("SELECT job_id, nodes FROM acct ORDER BY job_id")
    assert acct.fetchall() == [
        (1, "pod01-n003,pod01-n001"), (2, "pod01-n002"), (3, ""),
        (5, "pod01-n002,pod01-n003"), (6, "pod01-n001")]
    assert not diffs, "the same rows differ after the migrations:\n  " + \
        "\n  ".join(diffs)


try:
    run([test_every_migration_has_its_twin, test_the_schemas_are_the_same,
         test_the_comparison_sees_a_difference,
         test_the_same_rows_give_the_same_rows])
finally:
    tmp.cleanup()
