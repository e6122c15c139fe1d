#!/usr/bin/env python3
"""Rebuilds every table whose primary key is `id INTEGER` with AUTOINCREMENT.

Why: SQLite hands a deleted row's id to the next insert unless the table is AUTOINCREMENT.
Heat's convergence engine keeps ids of rows it is about to delete and, during a scale-up
update, then deletes the new live row that got the recycled id (null outputs, DELETE_FAILED
"ResourcePropertiesData with id N not found"). MySQL/PostgreSQL never reuse ids.

usage: sqlite_autoincrement.py DB_FILE
"""
import re
import sqlite3
import sys


def main(path: str) -> int:
    db = sqlite3.connect(path)
    db.isolation_level = None
    db.execute("PRAGMA foreign_keys=OFF")
    db.execute("BEGIN")
    rows = db.execute(
        "SELECT name, sql FROM sqlite_master WHERE type='table' AND sql IS NOT NULL "
        "AND name NOT LIKE 'sqlite_%'"
    ).fetchall()
    changed = 0
    for name, sql in rows:
        if "AUTOINCREMENT" in sql.upper():
            continue
        # Heat's tables declare `id INTEGER NOT NULL` and a separate `PRIMARY KEY (id)`.
        if not re.search(r"\bid INTEGER NOT NULL\b", sql) or not re.search(r"PRIMARY KEY \(id\)", sql):
            continue
        new_sql = re.sub(r"\bid INTEGER NOT NULL\b", "id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL", sql, count=1)
        new_sql = re.sub(r",\s*PRIMARY KEY \(id\)", "", new_sql, count=1)
        new_sql = new_sql.replace(f'CREATE TABLE "{name}"', f'CREATE TABLE "{name}__new"', 1)
        new_sql = re.sub(rf"^CREATE TABLE {re.escape(name)}\b", f'CREATE TABLE "{name}__new"', new_sql, count=1)
        indexes = db.execute(
            "SELECT sql FROM sqlite_master WHERE type='index' AND tbl_name=? AND sql IS NOT NULL", (name,)
        ).fetchall()
        cols = [r[1] for r in db.execute(f'PRAGMA table_info("{name}")')]
        collist = ", ".join(f'"{c}"' for c in cols)
        db.execute(new_sql)
        db.execute(f'INSERT INTO "{name}__new" ({collist}) SELECT {collist} FROM "{name}"')
        db.execute(f'DROP TABLE "{name}"')
        db.execute(f'ALTER TABLE "{name}__new" RENAME TO "{name}"')
        for (isql,) in indexes:
            db.execute(isql)
        changed += 1
    db.execute("COMMIT")
    db.execute("PRAGMA foreign_keys=ON")
    ok = db.execute("PRAGMA integrity_check").fetchone()[0]
    if ok != "ok":
        print(f"integrity_check: {ok}", file=sys.stderr)
        return 1
    print(f"rebuilt {changed} tables with AUTOINCREMENT")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
