"""The library of solved problems (已办结难题库): closed problems found by Chinese text, best match first.

Chinese has no spaces between words, so the library matches substrings, not words, and needs no word
segmentation: PostgreSQL's pg_trgm (a GIN trigram index over title, description and resolution) and
SQLite's FTS5 with its trigram tokenizer (an external-content table kept in step by triggers, see
migrations/*_solved_search.py). Both index three-character sequences, so:

- a query is split on spaces into terms (at most ``MAX_TERMS``), and every term must occur;
- a term of three characters or more is found through the index; a shorter one (``炭疽``) cannot be,
  and is matched with ``LIKE`` over the same columns, a scan of the closed problems (docs/benchmarks.md
  measures it). SQLite 3.40's trigram tokenizer answers no rows at all to a ``LIKE`` shorter than three
  characters on its own table, so there the scan reads the problems table itself;
- best match first: problems whose title holds every term, then the closest title (PostgreSQL: the
  shortest such title; FTS5: ``bm25`` with the title weighted), then the most recently closed.

"Similar" compares titles by their trigrams (pg_trgm's ``similarity``, at least ``SIMILARITY_THRESHOLD``;
on SQLite the same measure computed here), the problem's own category first.

Everything here reads closed problems only, and answers no person: the library is open to anyone signed in.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from django.db import connection, transaction
from django.db.models import QuerySet

from .models import Problem, ProblemStatus

MAX_TERMS = 5
INDEXED_LENGTH = 3  # trigram indexes need three characters
# How alike two titles must be to be "similar" (pg_trgm's similarity: shared trigrams over all). pg_trgm's
# default, 0.3, let a common phrase (急需技术指导) through for thousands of titles, each rechecked: 0.4 kept
# the same neighbours for titles that name a crop and a trouble, at a third of the time (docs/benchmarks.md).
SIMILARITY_THRESHOLD = 0.4
SIMILAR_CANDIDATES = 50  # SQLite: the best bm25 candidates the similarity is computed for
FTS_TABLE = "problems_solved_fts"
# The text the PostgreSQL index is built over: the query must spell the expression exactly as the
# index does (migrations/*_solved_search.py) for the planner to use it.
PG_SEARCH_TEXT = "(p.title || ' ' || p.description || ' ' || p.resolution_summary)"
PG_INDEXED_TEXT = "(title || ' ' || description || ' ' || resolution_summary)"


def query_terms(q: str | None) -> list[str]:
    """The terms of a query: split on spaces, each once, at most ``MAX_TERMS``."""
    return list(dict.fromkeys((q or "").split()))[:MAX_TERMS]


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _problems_in_order(ids: Sequence[int]) -> list[Problem]:
    found = _solved().in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


def _solved() -> QuerySet[Problem]:
    return Problem.objects.filter(status=ProblemStatus.CLOSED).select_related("village", "village__parent",
                                                                              "category")


def solved_search(*, q: str | None = None, category: str | None = None, offset: int = 0,
                  limit: int = 20) -> tuple[int, list[Problem]]:
    """One page of closed problems matching every term of ``q`` (in ``category``), best match first,
    and how many match in all. Two queries (three when the page is past the end)."""
    terms = query_terms(q)
    if not terms:
        # The most recently closed: the count and the page each walk a partial index, the page stops at
        # its end (a window count would read every closed problem of the category first).
        solved = _solved().filter(category_id=category) if category else _solved()
        return solved.count(), list(solved.order_by("-closed_at", "-id")[offset : offset + limit])
    search = _pg_search if connection.vendor == "postgresql" else _sqlite_search
    sql, params = search(terms, category)
    with connection.cursor() as cursor:
        # Ranking needs every match anyway, so the window count costs nothing more.
        cursor.execute(f"{sql} LIMIT %s OFFSET %s", [*params, limit, offset])
        rows = cursor.fetchall()
        if rows:
            count = rows[0][1]
        elif offset:
            cursor.execute(f"SELECT COUNT(*) FROM ({sql}) AS matched", params)
            count = cursor.fetchone()[0]
        else:
            count = 0
    return count, _problems_in_order([row[0] for row in rows])


def _pg_search(terms: list[str], category: str | None) -> tuple[str, list]:
    table = Problem._meta.db_table
    where, params = ["p.status = %s"], [ProblemStatus.CLOSED.value]
    if category:
        where.append("p.category_id = %s")
        params.append(category)
    for term in terms:
        # The GIN index serves a term of three characters or more; a shorter one is checked row by row.
        # LIKE, not ILIKE: lower-casing every row's text doubled the time of a short term's scan, and
        # Chinese has no case (Latin letters' case counts here, not on SQLite).
        where.append(f"{PG_SEARCH_TEXT} LIKE %s")
        params.append(_like(term))
    in_title = " AND ".join("p.title LIKE %s" for _ in terms)
    # Among titles that hold every term the shortest is the closest: for such a title pg_trgm's similarity
    # to the query is about the query's share of the title's trigrams. The length costs nothing; computing
    # similarity for every match doubled the time of a common term (10,000 matches).
    sql = (f"SELECT p.id, COUNT(*) OVER () FROM {table} p WHERE {' AND '.join(where)} "
           f"ORDER BY ({in_title}) DESC, CASE WHEN {in_title} THEN char_length(p.title) END, "
           f"p.closed_at DESC, p.id DESC")
    title_params = [_like(t) for t in terms]
    return sql, [*params, *title_params, *title_params]


def _fts_phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _sqlite_search(terms: list[str], category: str | None) -> tuple[str, list]:
    table = Problem._meta.db_table
    long_terms = [t for t in terms if len(t) >= INDEXED_LENGTH]
    short_terms = [t for t in terms if len(t) < INDEXED_LENGTH]
    where, params = ["p.status = %s"], [ProblemStatus.CLOSED.value]
    source = f"{table} p"
    if long_terms:
        source = f"{FTS_TABLE} JOIN {table} p ON p.id = {FTS_TABLE}.rowid"
        where.insert(0, f"{FTS_TABLE} MATCH %s")
        params.insert(0, " AND ".join(_fts_phrase(t) for t in long_terms))
    if category:
        where.append("p.category_id = %s")
        params.append(category)
    for term in short_terms:
        where.append("(p.title LIKE %s ESCAPE '\\' OR p.description LIKE %s ESCAPE '\\' "
                     "OR p.resolution_summary LIKE %s ESCAPE '\\')")
        params.extend([_like(term)] * 3)
    hit = "(" + " AND ".join("p.title LIKE %s ESCAPE '\\'" for _ in terms) + ")"
    hit_params = [_like(t) for t in terms]
    # The title counts most, then the resolution (how it was solved), then the description. bm25() is
    # computed in an inner query: FTS5 refuses it beside a window function.
    score = f"bm25({FTS_TABLE}, 4.0, 1.0, 2.0)" if long_terms else "0"
    sql = (f"SELECT id, COUNT(*) OVER () FROM (SELECT p.id, p.closed_at, {hit} AS hit, {score} AS score "
           f"FROM {source} WHERE {' AND '.join(where)}) AS matched "
           f"ORDER BY hit DESC, score, closed_at DESC, id DESC")
    return sql, [*hit_params, *params]


def solved_similar(problem: Problem, *, limit: int = 5) -> list[Problem]:
    """Closed problems whose title is like this one's, its own category first, then the closest,
    then the most recent. Two queries (the ids, then their problems), whatever the library's size."""
    similar = _pg_similar if connection.vendor == "postgresql" else _sqlite_similar
    return _problems_in_order(similar(problem, limit))


def _pg_similar(problem: Problem, limit: int) -> list[int]:
    table = Problem._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        # `%` compares with pg_trgm.similarity_threshold, for this transaction only.
        cursor.execute("SELECT set_config('pg_trgm.similarity_threshold', %s, true)", [str(SIMILARITY_THRESHOLD)])
        cursor.execute(
            f"SELECT p.id FROM {table} p WHERE p.status = %s AND p.id <> %s AND p.title %% %s "
            f"ORDER BY (p.category_id = %s) DESC, similarity(p.title, %s) DESC, p.closed_at DESC, p.id DESC "
            f"LIMIT %s",
            [ProblemStatus.CLOSED.value, problem.pk, problem.title, problem.category_id, problem.title, limit],
        )
        return [row[0] for row in cursor.fetchall()]


_WORD = re.compile(r"\w+")


def trigrams(text: str) -> set[str]:
    """pg_trgm's trigrams of a text: each word (letters, digits, CJK) lower-cased, padded with two
    spaces before and one after, cut into every three consecutive characters."""
    found: set[str] = set()
    for word in _WORD.findall(text.lower()):
        padded = f"  {word} "
        found.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return found


def similarity(a: str, b: str) -> float:
    """pg_trgm's ``similarity``: shared trigrams over all trigrams of the two texts."""
    ta, tb = trigrams(a), trigrams(b)
    return len(ta & tb) / len(ta | tb) if ta and tb else 0.0


def _sqlite_similar(problem: Problem, limit: int) -> list[int]:
    # The title's own three-character sequences, as FTS5's trigram tokenizer indexed them.
    windows = {w[i : i + 3] for w in _WORD.findall(problem.title.lower()) for i in range(len(w) - 2)}
    if not windows:
        return []
    match = "{title}: (" + " OR ".join(_fts_phrase(w) for w in sorted(windows)) + ")"
    table = Problem._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT p.id, p.title, p.category_id, p.closed_at FROM {FTS_TABLE} "
            f"JOIN {table} p ON p.id = {FTS_TABLE}.rowid "
            f"WHERE {FTS_TABLE} MATCH %s AND p.status = %s AND p.id <> %s "
            f"ORDER BY bm25({FTS_TABLE}) LIMIT %s",
            [match, ProblemStatus.CLOSED.value, problem.pk, SIMILAR_CANDIDATES],
        )
        rows = cursor.fetchall()
    scored = [(similarity(problem.title, title), pk, category, closed_at) for pk, title, category, closed_at in rows]
    scored = [row for row in scored if row[0] >= SIMILARITY_THRESHOLD]
    scored.sort(key=lambda r: (r[2] == problem.category_id, r[0], r[3], r[1]), reverse=True)
    return [pk for _score, pk, _category, _closed in scored[:limit]]
