"""The query API (§4): db?q=tractorselect(...) as tractor.api.query and tq send it, each answer checked against what the
native column query (/api/v1/query/TABLE) gives for the same search."""

import datetime
import re
import time
import urllib.parse
import urllib.request
import uuid

TIME = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(\.\d{1,3})?([+-])(\d\d)(?::(\d\d))?$")

_state = {}


def script(title, tasks=2):
    body = "".join("    Task {t%d} -cmds {\n        RemoteCmd {/bin/echo %s %d} -service {pixarRender}\n    }\n" % (i, title, i)
                   for i in range(tasks))
    return "##AlfredToDo 3.0\nJob -title {%s} -crews {lighting} -subtasks {\n%s}\n" % (title, body)


def setup(ctx):
    """Spools this module's jobs once: three with a tag in their titles, and waits for them to finish on the blade, so a
    select through db and the native one read after it see the same rows (a job ending between them changed stoptime)."""
    if "tag" in _state:
        return _state
    c = ctx.logged_in()
    tag = "qa%s" % uuid.uuid4().hex[:8]
    jids = []
    for i in range(3):
        reply = c.spool(script("%s-%d" % (tag, i), tasks=i + 1), extra={"priority": str(100 * (i + 1))})
        assert reply.status == 200, reply
        jids.append(reply.json()["jid"])
    _state.update(tag=tag, jids=jids)
    deadline = time.time() + 120
    while time.time() < deadline:
        rows = c.native_rows("jobs", ["jid", "numdone", "numtasks"], "jid in [%s]" % " ".join(str(j) for j in jids))
        if len(rows) == len(jids) and all(r["numdone"] == r["numtasks"] for r in rows):
            break
        time.sleep(0.5)
    else:
        raise AssertionError("jobs %r did not finish on the blade: %r" % (jids, rows))
    return _state


def time_ms(text):
    m = TIME.match(text)
    assert m, "not a Tractor database time: %r" % text
    base = datetime.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S")
    ms = int((m.group(2) or ".0")[1:].ljust(3, "0"))
    offset = datetime.timedelta(hours=int(m.group(4)), minutes=int(m.group(5) or 0))
    if m.group(3) == "-":
        offset = -offset
    when = base.replace(tzinfo=datetime.timezone(offset))
    return int(when.timestamp()) * 1000 + ms


def native_table(c, table, cols, where, sortby=(), archived=False, limit=None):
    query = {"cols": ",".join(cols), "q": where}
    if sortby:
        query["sortby"] = ",".join(sortby)
    if archived:
        query["archived"] = "1"
    if limit is not None:
        query["limit"] = str(limit)
    status, reply = c.native("GET", "/api/v1/query/%s?%s" % (table, urllib.parse.urlencode(query)))
    assert status == 200, (status, reply)
    types = [col["type"] for col in reply["columns"]]
    return [{name: (None if v is None else v) for name, v in zip(cols, row)} for row in reply["rows"]], dict(zip(cols, types))


def rows_of(reply):
    assert reply.status == 200, reply
    body = reply.json()
    assert body["rc"] == 0 and body["msg"] == "" and isinstance(body["rows"], list), body
    # Tractor's reply is rc, msg and rows, whatever the limit: no native next-page link the face does not serve.
    assert sorted(body) == ["msg", "rc", "rows"], sorted(body)
    return body["rows"]


def same_as_native(c, table, where, cols, sortby=(), archived=False, aliases=None, native_where=None):
    """Selects through db and through the native API; the rows must agree, times as Tractor's text for the native ms."""
    ours = rows_of(c.select(table, where, cols, sortby, archive=archived, aliases=aliases))
    native, types = native_table(c, table, cols, native_where if native_where is not None else where, sortby, archived)
    assert len(ours) == len(native), (where, ours, native)
    for mine, theirs in zip(ours, native):
        assert list(mine.keys()) == list(cols), (mine.keys(), cols)
        for col in cols:
            if types[col] == "time" and theirs[col] is not None:
                assert time_ms(mine[col]) == theirs[col], (col, mine[col], theirs[col])
            else:
                assert mine[col] == theirs[col], (col, mine[col], theirs[col])
    return ours


def check_jobs_where_columns_and_times_match_native(ctx):
    s = setup(ctx)
    c = ctx.logged_in()
    rows = same_as_native(c, "job", "title like %s" % s["tag"], ["jid", "owner", "title", "priority", "crews", "spooltime", "stoptime"],
                          sortby=["jid"])
    assert [r["jid"] for r in rows] == s["jids"], rows
    assert rows[0]["crews"] == ["lighting"] and rows[0]["owner"] == ctx.user, rows
    assert TIME.match(rows[0]["spooltime"]) and TIME.match(rows[0]["stoptime"]), rows[0]
    # A column asked for twice (in any case) is one member of each row, where first asked: a JSON object names a key once.
    twice = c.select("job", "jid=%d" % s["jids"][0], ["jid", "title", "JID", "title"])
    assert twice.status == 200 and twice.body.count(b'"title"') == 1 and b'"JID"' not in twice.body, twice
    assert rows_of(twice) == [{"jid": s["jids"][0], "title": rows[0]["title"]}], twice
    # tq's class-style table name reads the same table.
    assert rows_of(c.select("Job", "title like %s" % s["tag"], ["jid"], ["jid"])) == [{"jid": j} for j in s["jids"]]


def check_no_columns_gives_every_kept_column(ctx):
    s = setup(ctx)
    c = ctx.logged_in()
    rows = rows_of(c.select("job", "jid=%d" % s["jids"][0]))
    assert len(rows) == 1, rows
    keys = list(rows[0].keys())
    for col in ["jid", "owner", "title", "priority", "spooltime", "numtasks", "numdone", "afterjids", "crews"]:
        assert col in keys, keys
    # Columns Furrow does not keep are left out rather than always empty.
    assert "spooladdr" not in keys and "pil" not in keys, keys
    same_as_native(c, "job", "jid=%d" % s["jids"][0], keys)


def check_sort_and_descending_sort(ctx):
    s = setup(ctx)
    c = ctx.logged_in()
    down = same_as_native(c, "job", "title like %s" % s["tag"], ["jid", "priority"], sortby=["-priority"])
    assert [r["priority"] for r in down] == [300, 200, 100], down
    up = rows_of(c.select("job", "title like %s" % s["tag"], ["jid"], ["priority", "-jid"]))
    assert [r["jid"] for r in up] == s["jids"], up


def check_limit_null_zero_and_n(ctx):
    s = setup(ctx)
    c = ctx.logged_in()
    where = "title like %s" % s["tag"]
    assert len(rows_of(c.select("job", where, ["jid"], ["jid"], limit=2))) == 2
    assert [r["jid"] for r in rows_of(c.select("job", where, ["jid"], ["jid"], limit=1))] == s["jids"][:1]
    assert len(rows_of(c.select("job", where, ["jid"], limit=0))) == 3
    assert len(rows_of(c.select("job", where, ["jid"], limit=None))) == 3
    # A limit past the rows there are reads them all; tasks of the three jobs: 1 + 2 + 3.
    assert len(rows_of(c.select("task", "Job.title like %s" % s["tag"], ["jid", "tid"], limit=500000))) == 6


def check_user_aliases(ctx):
    s = setup(ctx)
    c = ctx.logged_in()
    aliases = {"mine": "owner=%s" % ctx.user, "ours": "title like %s" % s["tag"], "big": "priority >= 200"}
    rows = same_as_native(c, "job", "mine and ours and not big", ["jid"], aliases=aliases,
                          native_where="owner=%s and title like %s and not priority >= 200" % (ctx.user, s["tag"]))
    assert [r["jid"] for r in rows] == s["jids"][:1], rows
    # The aliases with their quotes doubled, as an SQL literal strictly has them.
    sql = "tractorselect('job', 'ours and big', 'jid', 'jid', NULL, 'f', '{''ours'': ''title like %s'', ''big'': \"priority >= 200\"}')" % s["tag"]
    assert [r["jid"] for r in rows_of(c.transaction("db", {"q": sql}))] == s["jids"][1:]
    bad = c.select("job", "ours", ["jid"], aliases={"ours": 3})
    assert bad.status == 400 and "aliases" in bad.json()["rows"].splitlines()[-1], bad


def check_builtin_mine_and_tq_examples(ctx):
    s = setup(ctx)
    c = ctx.logged_in()
    # tq jobs mine and not done (the engine's own `mine`: the caller)
    mine = same_as_native(c, "job", "mine and title like %s" % s["tag"], ["jid", "owner"], sortby=["jid"])
    assert len(mine) == 3 and all(r["owner"] == ctx.user for r in mine), mine
    same_as_native(c, "job", "mine and not done", ["jid"], sortby=["jid"])
    # tq jobs title like cars and "priority >= 400" -s priority
    same_as_native(c, "job", 'title like cars and "priority >= 400"', ["jid", "title"], sortby=["priority"])
    high = same_as_native(c, "job", 'title like %s and "priority >= 200"' % s["tag"], ["jid"], sortby=["priority"])
    assert [r["jid"] for r in high] == s["jids"][1:], high
    # tq tasks owner=louise and error; tq retry jid=1134800 and tid=334 (its search)
    assert same_as_native(c, "task", "owner=louise and error", ["jid", "tid"]) == []
    assert same_as_native(c, "task", "jid=1134800 and tid=334", ["jid", "tid"]) == []
    # tq blades profile like mac and availdisk "<" 1M; tq blades name like west10 and "(disk < 1 or mem < 1)"
    same_as_native(c, "blade", 'profile like mac and availdisk "<" 1M', ["name"])
    same_as_native(c, "blade", 'name like west10 and "(disk < 1 or mem < 1)"', ["name"])
    # tq invocations not stoptime and owner=weezie
    assert same_as_native(c, "invocation", "not stoptime and owner=weezie", ["jid", "cid", "iid"]) == []
    # tq jobs owner in [jack, janet, chrissy], and the comma-less form
    assert same_as_native(c, "job", "owner in [jack, janet, chrissy]", ["jid"]) == []
    both = same_as_native(c, "job", "owner in [jack %s] and title like %s" % (ctx.user, s["tag"]), ["jid"], sortby=["jid"])
    assert len(both) == 3, both
    # Relative times and units.
    recent = same_as_native(c, "job", "spooltime > -1h and title like %s" % s["tag"], ["jid"])
    assert len(recent) == 3, recent
    same_as_native(c, "blade", "mem > 4G", ["name"])
    same_as_native(c, "invocation", "stime < 1m and jid=%d" % s["jids"][0], ["iid"])


def check_tasks_commands_invocations_blades_params(ctx):
    s = setup(ctx)
    c = ctx.logged_in()
    jid = s["jids"][0]
    tasks = same_as_native(c, "task", "Job.owner=%s and jid=%d" % (ctx.user, jid), ["jid", "tid", "title", "Job.owner", "state"],
                           sortby=["tid"])
    assert len(tasks) == 1 and tasks[0]["Job.owner"] == ctx.user and tasks[0]["state"] == "done", tasks
    third = same_as_native(c, "task", "jid=%d" % s["jids"][2], ["tid", "title"], sortby=["-tid"])
    assert [t["title"] for t in third] == ["t2", "t1", "t0"], third
    commands = same_as_native(c, "command", "jid=%d" % jid, ["jid", "tid", "cid", "argv", "service"])
    assert commands[0]["argv"] == ["/bin/echo", "%s-0" % s["tag"], "0"], commands
    assert commands[0]["service"] == "pixarRender", commands
    invocations = same_as_native(c, "invocation", "jid=%d" % jid, ["jid", "cid", "iid", "blade", "starttime", "stoptime", "rcode"])
    assert len(invocations) >= 1 and invocations[0]["rcode"] == 0, invocations
    assert TIME.match(invocations[0]["starttime"]), invocations
    blades = same_as_native(c, "blade", "", ["name", "numslots"])
    assert "tractorblade" in [b["name"] for b in blades], blades
    # Sizes are whole bytes (the blade reports GiB with a fraction).
    sizes = [b for b in rows_of(c.select("blade", "name=tractorblade", ["availmemory", "availdisk"]))]
    assert sizes and all(float(b[k]) > 0 and float(b[k]) == int(float(b[k])) for b in sizes for k in b), sizes
    params = rows_of(c.select("param", "", []))
    assert params and all(set(p) == {"name", "value"} for p in params), params
    status, native = c.native("GET", "/api/v1/query/params")
    assert status == 200 and [[p["name"], p["value"]] for p in params] == native["rows"], (params, native)
    names = rows_of(c.select("param", "", ["name"]))
    assert [p["name"] for p in params] == [n["name"] for n in names] and all(list(n) == ["name"] for n in names), names


def check_task_and_command_columns_furrow_derives(ctx):
    """cids, ptids, minslots, maxslots, activetime and currcid of tasks, id and refersto of commands: real values, the
    same through tractorselect as through the native query, once the job has run on the blade."""
    c = ctx.logged_in()
    title = "qa%s-graph" % uuid.uuid4().hex[:8]
    alf = ("Job -title {%s} -subtasks {\n"
           "  Task {a} -atleast 1 -atmost 2 -cmds {\n"
           "    RemoteCmd {/bin/echo a1} -id {first}\n"
           "    RemoteCmd {/bin/echo a2} -refersto {first}\n"
           "  }\n"
           "  Task {b} -subtasks {\n    Instance {a}\n  }\n"
           "}\n") % title
    reply = c.spool(alf)
    assert reply.status == 200, reply
    jid = reply.json()["jid"]
    deadline = time.time() + 120
    while time.time() < deadline:
        rows = c.native_rows("jobs", ["numdone", "numtasks"], "jid=%d" % jid)
        if rows and rows[0]["numdone"] == rows[0]["numtasks"]:
            break
        time.sleep(0.5)
    else:
        raise AssertionError("job %d did not finish on the blade: %r" % (jid, rows))
    cols = ["tid", "cids", "ptids", "minslots", "maxslots", "activetime", "currcid"]
    tasks = same_as_native(c, "task", "jid=%d" % jid, cols, sortby=["tid"])
    assert [(t["tid"], t["cids"], t["ptids"], t["minslots"], t["maxslots"], t["currcid"]) for t in tasks] == [
        (1, [1, 2], [0, 2], 1, 2, 2), (2, [], [0], None, None, None)], tasks
    assert TIME.match(tasks[0]["activetime"]) and tasks[1]["activetime"] is None, tasks
    invocations = rows_of(c.select("invocation", "jid=%d and cid=1" % jid, ["starttime"]))
    assert time_ms(tasks[0]["activetime"]) <= time_ms(invocations[0]["starttime"]), (tasks, invocations)
    assert [t["tid"] for t in rows_of(c.select("task", "jid=%d and ptids=2 and currcid=2" % jid, ["tid"]))] == [1]
    commands = same_as_native(c, "command", "jid=%d" % jid, ["cid", "id", "refersto"], sortby=["cid"])
    assert commands == [{"cid": 1, "id": "first", "refersto": None}, {"cid": 2, "id": None, "refersto": "first"}], commands
    assert [r["cid"] for r in rows_of(c.select("command", "jid=%d and refersto=first" % jid, ["cid"]))] == [2]


def check_a_null_limit_stops_at_maxrecords_and_says_so(ctx):
    """limit NULL is the param maxrecords (10,000 rows); past it the reply's msg says more match and how to get them."""
    c = ctx.logged_in()
    maxrecords = [p for p in rows_of(c.select("param", "name=maxrecords", [])) if p["name"] == "maxrecords"]
    assert maxrecords == [{"name": "maxrecords", "value": "10000"}], maxrecords
    frames = "\n".join("    Task {f%d} -cmds { RemoteCmd {/bin/echo %d} }" % (i, i) for i in range(1, 10003))
    reply = c.spool("Job -title {over maxrecords} -paused 1 -subtasks {\n%s\n}\n" % frames)
    assert reply.status == 200, reply
    jid = reply.json()["jid"]
    cut = c.select("task", "jid=%d" % jid, ["tid"], ["tid"], limit=None)
    body = cut.json()
    assert cut.status == 200 and body["rc"] == 0 and len(body["rows"]) == 10000, (cut.status, body["msg"], len(body["rows"]))
    assert "maxrecords (10000 rows)" in body["msg"] and "0 for every row" in body["msg"], body["msg"]
    assert [r["tid"] for r in body["rows"][:2]] == [1, 2] and body["rows"][-1]["tid"] == 10000
    every = rows_of(c.select("task", "jid=%d" % jid, ["tid"], ["tid"], limit=0))
    assert [r["tid"] for r in every] == list(range(1, 10003)), len(every)
    # Up to maxrecords a NULL limit says nothing more.
    assert len(rows_of(c.select("task", "jid=%d and tid <= 10000" % jid, ["tid"], limit=None))) == 10000


def check_a_select_over_more_than_one_native_page_is_whole(ctx):
    """limit 0 past the native listing's page (100,000 rows): the pages are joined into one reply, every row once, in order."""
    c = ctx.logged_in()
    count = 100_001
    frames = "\n".join("    Task {f%d} -cmds { RemoteCmd {/bin/true} }" % i for i in range(1, count + 1))
    reply = c.spool("Job -title {two pages} -paused 1 -subtasks {\n%s\n}\n" % frames)
    assert reply.status == 200, reply
    jid = reply.json()["jid"]
    every = c.select("task", "jid=%d" % jid, ["tid", "title"], ["-tid"], limit=0)
    body = every.json()
    assert every.status == 200 and body["rc"] == 0, (every.status, body.get("msg"))
    rows = body["rows"]
    assert [r["tid"] for r in rows] == list(range(count, 0, -1)), (len(rows), rows[:2], rows[-2:])
    assert rows[0]["title"] == "f%d" % count and rows[-1]["title"] == "f1", (rows[0], rows[-1])


def check_archive_finds_deleted_jobs(ctx):
    c = ctx.logged_in()
    title = "qa%s-deleted" % uuid.uuid4().hex[:8]
    jid = c.spool(script(title, tasks=1), extra={"paused": "1"}).json()["jid"]
    status, reply = c.native("POST", "/api/v1/operations/delete?q=jid=%d&force=1" % jid)
    assert status == 200, (status, reply)
    assert rows_of(c.select("job", "jid=%d" % jid, ["jid"])) == []
    found = same_as_native(c, "job", "jid=%d" % jid, ["jid", "title", "deletetime"], archived=True)
    assert [r["jid"] for r in found] == [jid] and TIME.match(found[0]["deletetime"]), found


def refused(reply, *names):
    assert reply.status == 400, reply
    body = reply.json()
    assert body["rc"] != 0 and isinstance(body["rows"], str), body
    last = body["rows"].splitlines()[-1]
    for name in names:
        assert name in last, (name, body["rows"])
    return last


def check_bad_clause_column_and_sort_name_the_token(ctx):
    c = ctx.logged_in()
    refused(c.select("job", "bogusattr=3", ["jid"]), "bogusattr")
    refused(c.select("job", "owner=", ["jid"]))
    refused(c.select("job", "", ["jid", "nosuchcol"]), "nosuchcol")
    refused(c.select("job", "", ["jid"], ["nosuchsort"]), "nosuchsort")
    refused(c.select("param", "", ["name", "colour"]), "colour")
    refused(c.select("job", "(owner=bob", ["jid"]))
    refused(c.transaction("db", {"q": "tractorselect('nosuchtable', '', '', '', NULL, 'f', 'None')"}), "nosuchtable")
    refused(c.transaction("db", {"q": "tractorselect('job', '', '', '', NULL, 'f')"}), "7 arguments")
    refused(c.transaction("db", {"q": "tractorselect('job', 'owner=''x, '', '', NULL, 'f', 'None')"}))
    # Words a column never holds, and numbers it cannot hold, would match nothing (or everything): refused by name.
    refused(c.select("task", "state=bogus", ["jid"]), "'bogus'", "blocked, ready, active, done, error")
    refused(c.select("task", "state=Done", ["jid"]), "'Done'", "did you mean 'done'?")
    refused(c.select("job", "state in [paused bogus]", ["jid"]), "'bogus'", "waiting")
    refused(c.select("command", "runtype=bogus", ["jid"]), "'bogus'", "post_always")
    refused(c.select("invocation", "state=bogus", ["jid"]), "'bogus'", "running")
    refused(c.select("blade", "status=bogus", ["name"]), "'bogus'", "up, silent, stopped")
    refused(c.select("job", "paused=maybe", ["jid"]), "'maybe'", "true or false")
    # PostgreSQL's boolean words, which Tractor's clauses meet, are taken.
    assert rows_of(c.select("job", "paused=yes and jid=0", ["jid"])) == []
    refused(c.select("job", "jid>99999999999999999999999", ["jid"]), "'99999999999999999999999'", "9223372036854775807")


def check_injection_in_the_where_finds_nothing_and_harms_nothing(ctx):
    s = setup(ctx)
    c = ctx.logged_in()
    before, _ = native_table(c, "jobs", ["jid"], "", archived=True, limit=0)
    for where in ["owner='x'' OR 1=1 --'", "owner='x' OR 1=1 --", "owner=x'); drop table jobs; --"]:
        reply = c.select("job", where, ["jid"])
        if reply.status == 200:
            assert rows_of(reply) == [], (where, reply)
        else:
            refused(reply)
    sql = c.transaction("db", {"q": "select * from job; drop table job"})
    assert sql.status == 501 and "select * from job" in sql.json()["msg"], sql
    nested = c.transaction("db", {"q": "tractorselect('job', '', '', '', NULL, 'f', 'None'); delete from job"})
    refused(nested, "delete")
    after, _ = native_table(c, "jobs", ["jid"], "", archived=True, limit=0)
    assert after == before and len(after) >= 3, (before, after)
    assert len(rows_of(c.select("job", "title like %s" % s["tag"], ["jid"]))) == 3


def check_other_db_queries_and_anonymous_callers_are_refused(ctx):
    c = ctx.logged_in()
    dump = c.transaction("db", {"q": "TractorJobDump(1, 'JSON')"})
    assert dump.status == 501 and "TractorJobDump" in dump.json()["msg"], dump
    # The refusal names native endpoints that answer.
    jid = c.spool(script("qa%s-dump" % uuid.uuid4().hex[:8], tasks=1), extra={"paused": "1"}).json()["jid"]
    assert "GET /api/v1/jobs/JID/script" in dump.json()["msg"] and "GET /api/v1/tasks?jid=JID" in dump.json()["msg"], dump
    request = urllib.request.Request("http://%s:%d/api/v1/jobs/%d/script" % (c.host, c.port, jid), headers={"Authorization": "Bearer " + c.tsid})
    with urllib.request.urlopen(request, timeout=60) as r:
        assert r.status == 200 and b"-dump" in r.read()
    status, tasks = c.native("GET", "/api/v1/tasks?jid=%d" % jid)
    tasks = tasks["rows"] if isinstance(tasks, dict) else tasks
    assert status == 200 and len(tasks) == 1 and tasks[0]["jid"] == jid, (status, tasks)
    empty = c.transaction("db", {})
    assert empty.status == 400 and "tractorselect" in empty.json()["msg"], empty
    anonymous = ctx.client().select("job", "", ["jid"])
    assert anonymous.status == 401 and "login" in anonymous.json()["msg"], anonymous
