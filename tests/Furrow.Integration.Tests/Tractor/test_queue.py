"""Queue operations (§4d, §3b's jretire, §3c's jdelete) and the rest of ctrl (reconfigure, battribute, tracer,
dbreconnect), sent as tq and tractor-spool send them, each effect checked through the native API. The engine runs the
blade `tractorblade`; `bystander` is a second plain user and `boss` an administrator."""

import time
import urllib.parse

FAILING = """##AlfredToDo 3.0
Job -title {fails} -subtasks {
    Task {a} -cmds { RemoteCmd {/bin/false} }
}
"""

LONG = """##AlfredToDo 3.0
Job -title {long} -subtasks {
    Task {sleeper} -cmds { RemoteCmd {/bin/sleep 60} }
}
"""

HELD = """##AlfredToDo 3.0
Job -title {held} -subtasks {
    Task {one} -cmds { RemoteCmd {/bin/echo one} -service {pixarRender} }
}
"""


def spool(c, script, paused=False):
    reply = c.spool(script, extra={"paused": "1"} if paused else None)
    assert reply.rc == 0, reply
    return reply.json()["jid"]


def wait_for(what, condition, seconds=60):
    """Polls until condition() gives a true value, which it returns; fails naming `what` when it never does."""
    deadline = time.time() + seconds
    while True:
        value = condition()
        if value:
            return value
        assert time.time() < deadline, "waited %d s for %s" % (seconds, what)
        time.sleep(0.2)


def job(c, jid):
    status, rows = c.native("GET", "/api/v1/jobs?archived=1&q=" + urllib.parse.quote("jid=%d" % jid))
    assert status == 200 and len(rows) == 1, (status, rows)
    return rows[0]


def tasks(c, jid):
    return {t["title"]: t for t in c.native_rows("tasks", ["tid", "title", "state"], "jid=%d" % jid)}


def runs(c, jid, tid):
    return len(c.native_rows("invocations", ["iid"], "jid=%d and tid=%d" % (jid, tid)))


def queue(c, params, in_body=False):
    return c.transaction("queue", params, in_body=in_body)


def check_jattr_sets_priority_delay_pause_lock_and_other_attributes(ctx):
    c = ctx.logged_in()
    jid = spool(c, HELD, paused=True)
    later = int(time.time()) + 3600
    # Several set_ in one request, each applied.
    r = queue(c, {"q": "jattr", "jid": jid, "set_priority": 250, "set_afterTime": later})
    assert r.rc == 0 and r.json()["done"] == ["J%d" % jid], r
    j = job(c, jid)
    assert j["priority"] == 250, j
    row = c.native_rows("jobs", ["aftertime"], "jid=%d" % jid)[0]
    assert row["aftertime"], row
    # Delayed, so unpausing starts nothing yet.
    r = queue(c, {"q": "jattr", "jid": jid, "set_pause": 0})
    assert r.rc == 0 and job(c, jid)["paused"] is False, (r, job(c, jid))
    r = queue(c, {"q": "jattr", "jid": jid, "set_pause": 1})
    assert r.rc == 0 and job(c, jid)["paused"] is True, r
    r = queue(c, {"q": "jattr", "jid": jid, "set_afterTime": 0})
    assert r.rc == 0 and not c.native_rows("jobs", ["aftertime"], "jid=%d" % jid)[0]["aftertime"], r
    r = queue(c, {"q": "jattr", "jid": jid, "set_lock": 1})
    assert r.rc == 0 and c.native_rows("jobs", ["lockedby"], "jid=%d" % jid)[0]["lockedby"] == ctx.user, r
    r = queue(c, {"q": "jattr", "jid": jid, "set_lock": 0})
    assert r.rc == 0 and not c.native_rows("jobs", ["lockedby"], "jid=%d" % jid)[0]["lockedby"], r
    r = queue(c, {"q": "jattr", "jid": jid, "set_lock": 1, "note": "mine for now"})
    assert r.status == 501 and "note" in r.json()["msg"], r
    # Any other key is the native jattr's; lists are comma-joined.
    r = queue(c, {"q": "jattr", "jid": jid, "set_comment": "from tq", "set_crews": "lighting,fx", "set_projects": "cars"})
    assert r.rc == 0, r
    row = c.native_rows("jobs", ["comment", "crews", "projects"], "jid=%d" % jid)[0]
    assert row["comment"] == "from tq" and sorted(row["crews"]) == ["fx", "lighting"] and row["projects"] == ["cars"], row
    # A value percent-encoded from Latin-1 bytes (a Python 2 client quoting a byte string) is read as Latin-1, one
    # from UTF-8 as UTF-8; in the URL or in a form body alike.
    for value, in_body in ((b"Sz\xe8ne", False), ("Sz\u00e8ne".encode("utf-8"), False), (b"Sz\xe8ne", True)):
        r = queue(c, {"q": "jattr", "jid": jid, "set_comment": value}, in_body=in_body)
        assert r.rc == 0, (value, r)
        row = c.native_rows("jobs", ["comment"], "jid=%d" % jid)[0]
        assert row["comment"] == "Sz\u00e8ne", (value, in_body, row)
    # Raw bytes in a form body are read value by value, as escaped ones are: one Latin-1 value beside a UTF-8 one
    # leaves the UTF-8 one as written. A byte-order mark before the body is no part of its first name.
    for bom in (b"", b"\xef\xbb\xbf"):
        body = bom + b"q=jattr&jid=%d&set_comment=Sz\xc3\xa8ne&set_projects=caf\xe9&tsid=%s" % (jid, c.tsid.encode("ascii"))
        r = c.raw("queue", body=body)
        assert r.rc == 0, (bom, r)
        row = c.native_rows("jobs", ["comment", "projects"], "jid=%d" % jid)[0]
        assert row["comment"] == "Sz\u00e8ne" and row["projects"] == ["caf\u00e9"], (bom, row)
    # A value or key the native jattr refuses comes back with its status and message.
    r = queue(c, {"q": "jattr", "jid": jid, "set_pause": "maybe"})
    assert r.status == 400 and r.json()["msg"] == "bad set_pause=maybe: expected one of 1, 0, true, false, yes, no, on or off", r
    # Numbers and lists are read by the one rule every verb uses (the spool's too): no space around a number, no
    # empty item in a list.
    for key, value, said in (("set_maxactive", " 3", "got ' 3'"), ("set_afterjids", "1,,2", "two commas with nothing between them"),
                             ("set_priority", "1e2", "got '1e2'")):
        r = queue(c, {"q": "jattr", "jid": jid, key: value})
        assert r.status == 400 and said in r.json()["msg"], (key, value, r)
    # A job to wait for that does not exist is a bad value (400), as the spool's -afterjids is, not a refusal of this job.
    r = queue(c, {"q": "jattr", "jid": jid, "set_afterjids": "999999"})
    assert r.status == 400 and "afterjids names job(s) 999999, which do not exist" in r.json()["msg"], r
    # A tier the site does not have is a bad value (400), as the spool's -tier is, not a refusal of this job (409).
    r = queue(c, {"q": "jattr", "jid": jid, "set_tier": "nosuchtier"})
    assert r.status == 400 and "tier nosuchtier: not one of this site's DispatchTiers" in r.json()["msg"], r
    r = queue(c, {"q": "jattr", "jid": jid, "set_tier": "RUSH"})
    assert r.rc == 0 and c.native_rows("jobs", ["tier"], "jid=%d" % jid)[0]["tier"] == "rush", r
    # The words it names are taken (the job ends paused, as it was).
    r = queue(c, {"q": "jattr", "jid": jid, "set_pause": "false"})
    assert r.rc == 0 and job(c, jid)["paused"] is False, (r, job(c, jid))
    r = queue(c, {"q": "jattr", "jid": jid, "set_pause": "true"})
    assert r.rc == 0 and job(c, jid)["paused"] is True, (r, job(c, jid))
    r = queue(c, {"q": "jattr", "jid": jid, "set_bogus": 1})
    assert r.status == 400 and r.json()["rc"] == 400 and "bogus" in r.json()["msg"], r
    r = queue(c, {"q": "jattr", "jid": jid, "set_priority": "high"})
    assert r.status == 400 and r.json()["msg"].startswith("set_priority=high: "), r
    # A refused value is quoted as every message quotes one (60 characters), not echoed whole.
    r = queue(c, {"q": "jattr", "jid": jid, "set_comment": "x" * 900000}, in_body=True)
    msg = r.json()["msg"]
    assert r.status == 400 and msg.startswith("set_comment=%s...: " % ("x" * 60)) and "65536" in msg and len(msg) < 400, (r.status, msg[:300], len(msg))
    r = queue(c, {"q": "jattr", "jid": jid})
    assert r.status == 400 and "set_" in r.json()["msg"], r


def check_jattr_on_a_list_of_jobs(ctx):
    c = ctx.logged_in()
    jids = [spool(c, HELD, paused=True), spool(c, HELD, paused=True)]
    r = queue(c, {"q": "jattr", "jid": jids, "set_priority": 7})
    assert r.rc == 0 and sorted(r.json()["done"]) == sorted("J%d" % j for j in jids), r
    assert [job(c, j)["priority"] for j in jids] == [7, 7]


def check_a_list_param_given_twice_is_one_list_and_another_param_twice_is_refused(ctx):
    c = ctx.logged_in()
    jids = [spool(c, HELD, paused=True), spool(c, HELD, paused=True)]
    # jid= in the URL and again in the body, as a hand-made client may send it: both lists count.
    r = c.raw("queue?q=jattr&jid=%d&set_priority=9&tsid=%s" % (jids[0], c.tsid), body="jid=%d" % jids[1])
    assert r.rc == 0 and sorted(r.json()["done"]) == sorted("J%d" % j for j in jids), r
    assert [job(c, j)["priority"] for j in jids] == [9, 9]
    r = c.raw("queue?q=jattr&jid=%d&jid=%d&set_priority=11&tsid=%s" % (jids[0], jids[1], c.tsid))
    assert r.rc == 0 and [job(c, j)["priority"] for j in jids] == [11, 11], r
    # Any other parameter twice with different values is refused naming it; the same value twice is that value.
    r = c.raw("queue?q=jattr&jid=%d&set_priority=1&set_priority=2&tsid=%s" % (jids[0], c.tsid))
    assert r.status == 400 and "set_priority= is given 2 times" in r.json()["msg"] and "'1', '2'" in r.json()["msg"], r
    assert job(c, jids[0])["priority"] == 11
    r = c.raw("queue?q=jattr&jid=%d&set_priority=3&set_priority=3&tsid=%s" % (jids[0], c.tsid))
    assert r.rc == 0 and job(c, jids[0])["priority"] == 3, r


def check_a_param_spelled_in_two_cases_with_different_values_is_refused_naming_both(ctx):
    c = ctx.logged_in()
    jid = spool(c, HELD, paused=True)
    title = job(c, jid)["title"]
    # Parameter names are read without regard to case: set_title= and set_TITLE= are one parameter, not "x,y".
    r = c.raw("queue?q=jattr&jid=%d&tsid=%s" % (jid, c.tsid), body="set_title=x&set_TITLE=y")
    msg = r.json()["msg"]
    assert r.status == 400 and "set_title= is given 2 times, as set_title= and set_TITLE=" in msg and "'x', 'y'" in msg, r
    assert job(c, jid)["title"] == title
    # In the URL and the body, on other verbs and other parameters too, a list parameter among them.
    r = c.raw("queue?q=jattr&jid=%d&set_priority=1&tsid=%s" % (jid, c.tsid), body="SET_PRIORITY=2")
    assert r.status == 400 and "as set_priority= and SET_PRIORITY=" in r.json()["msg"], r
    r = c.raw("queue?q=jretry&jid=%d&JID=987654321&tsid=%s" % (jid, c.tsid))
    assert r.status == 400 and "as jid= and JID=" in r.json()["msg"] and "'%d', '987654321'" % jid in r.json()["msg"], r
    r = c.raw("monitor?q=jobs&Q=blades&tsid=%s" % c.tsid, method="GET")
    assert r.status == 400 and "as q= and Q=" in r.json()["msg"], r
    assert job(c, jid)["priority"] != 2
    # The same value in two cases is that value, once.
    r = c.raw("queue?q=jattr&jid=%d&tsid=%s" % (jid, c.tsid), body="set_title=z&set_TITLE=z")
    assert r.rc == 0 and job(c, jid)["title"] == "z", r


def check_a_session_or_password_given_twice_is_refused_without_quoting_them(ctx):
    # A refusal must not hand a session back into logs and proxies: the values of tsid= (any spelling) are not quoted.
    c = ctx.logged_in()
    other = "0" * 36
    for sent in ("ctrl?q=status&tsid=%s&tsid=%s" % (c.tsid, other), "ctrl?q=status&tsid=%s&TSID=%s" % (c.tsid, other)):
        r = c.raw(sent)
        msg = r.json()["msg"]
        assert r.status == 400 and "tsid= is given 2 times" in msg and c.tsid not in msg and other not in msg, r


def check_ids_that_match_nothing_are_named_beside_what_was_done(ctx):
    c = ctx.logged_in()
    jid = spool(c, HELD, paused=True)
    r = queue(c, {"q": "jattr", "jid": "%d,987654321" % jid, "set_priority": 12})
    body = r.json()
    assert r.rc == 0 and body["done"] == ["J%d" % jid] and body["notfound"] == ["J987654321"], r
    assert "not found: J987654321" in body["msg"], body
    r = queue(c, {"q": "tskip", "jid": jid, "tid": "1,77"})
    body = r.json()
    assert r.rc == 0 and body["done"] == ["J%d T1" % jid] and body["notfound"] == ["J%d T77" % jid], r
    # All named and found: no notfound key.
    r = queue(c, {"q": "jattr", "jid": jid, "set_priority": 13})
    assert r.rc == 0 and "notfound" not in r.json(), r
    # Many ids that match nothing: the message names the first 20 and counts the rest; the notfound array has them all.
    missing = ["J%d" % j for j in range(987600000, 987600025)]
    r = queue(c, {"q": "jattr", "jid": ",".join([str(jid)] + [m[1:] for m in missing]), "set_priority": 14})
    body = r.json()
    assert r.rc == 0 and body["notfound"] == missing, r
    assert body["msg"].endswith("not found: %s and 5 more" % ", ".join(missing[:20])), body


def check_jobs_deleted_or_restored_are_done_and_only_the_missing_are_not_found(ctx):
    # The read-back that finds the ids matching nothing sees deleted jobs too: a job the call just deleted is done, not
    # missing, and a restore names the ids that are no job at all.
    c = ctx.logged_in()
    first, second = spool(c, HELD, paused=True), spool(c, HELD, paused=True)
    named = "%d,%d,987654" % (first, second)
    for q, deleted in (("jretire", True), ("jrestore", False)):
        r = queue(c, {"q": q, "jid": named})
        body = r.json()
        assert r.rc == 0 and body["done"] == ["J%d" % first, "J%d" % second] and body["notfound"] == ["J987654"], (q, r)
        assert job(c, first)["deleted"] is deleted and job(c, second)["deleted"] is deleted, q
    # A restore that names a job that is not deleted says so, beside what it restored and what is no job.
    assert queue(c, {"q": "jretire", "jid": first}).rc == 0
    r = queue(c, {"q": "jrestore", "jid": named})
    body = r.json()
    assert r.rc == 0 and body["done"] == ["J%d" % first] and body["notfound"] == ["J987654"], r
    assert body["refused"] == ["J%d: not deleted (only a deleted job can be restored)" % second], r
    assert "refused: J%d: not deleted" % second in body["msg"], r
    # A restore of jobs that are all there and none deleted is refused as things stand (409), naming each, not a 404.
    r = queue(c, {"q": "jrestore", "jid": "%d,%d" % (first, second)})
    assert r.status == 409 and r.json()["msg"] == "J%d: not deleted (only a deleted job can be restored); J%d: not deleted (only a deleted job can be restored)" % (first, second), r
    r = queue(c, {"q": "jrestore", "jid": "%d,987654" % second})
    assert r.status == 409 and r.json()["msg"].endswith("can be restored); not found: J987654"), r
    # Ids that are no job at all are not found.
    r = queue(c, {"q": "jrestore", "jid": "987654"})
    assert r.status == 404, r
    # The mirror: an operation on a job that is there but deleted is refused as things stand (409), naming it, not
    # answered as if the job did not exist; beside a job it did act on, it is named in refused.
    assert queue(c, {"q": "jretire", "jid": first}).rc == 0
    r = queue(c, {"q": "jretire", "jid": first})
    assert r.status == 409 and r.json()["msg"] == "J%d: already deleted" % first, r
    r = queue(c, {"q": "jattr", "jid": first, "set_comment": "x"})
    assert r.status == 409 and "J%d: deleted (restore it with jrestore first)" % first in r.json()["msg"], r
    r = queue(c, {"q": "jattr", "jid": "%d,%d" % (first, second), "set_comment": "y"})
    assert r.rc == 0 and r.json()["done"] == ["J%d" % second], r
    assert r.json()["refused"] == ["J%d: deleted (restore it with jrestore first)" % first], r


def check_bad_ids_unknown_queries_and_missing_jobs_are_named(ctx):
    c = ctx.logged_in()
    r = queue(c, {"q": "jattr", "jid": "1,x3", "set_priority": 5})
    assert r.status == 400 and "x3" in r.json()["msg"], r
    r = queue(c, {"q": "tretry", "jid": 1, "tid": "-2"})
    assert r.status == 400 and "-2" in r.json()["msg"], r
    r = queue(c, {"q": "jrestart"})
    assert r.status == 400 and "jid" in r.json()["msg"], r
    r = queue(c, {"q": "frobnicate", "jid": 1})
    assert r.status == 501 and "frobnicate" in r.json()["msg"], r
    r = queue(c, {"q": "jretire", "jid": 987654})
    assert r.status == 404 and r.json()["rc"] == 404 and "987654" in r.json()["msg"], r
    r = queue(c, {"q": "ejectall", "blade": "tractorblade/127.0.0.1"})
    assert r.status == 501 and "ejectall" in r.json()["msg"], r
    # An id the query does not act on is refused, not ignored.
    r = queue(c, {"q": "jrestart", "jid": 1, "tid": 2})
    assert r.status == 400 and "tid=" in r.json()["msg"], r
    r = queue(c, {"q": "tskip", "jid": 1, "tsubset": "error", "tid": 2})
    assert r.status == 400 and "tid=" in r.json()["msg"], r
    r = queue(c, {"q": "tretry", "jid": 1, "tid": 2, "cid": 3})
    assert r.status == 400 and "cid=" in r.json()["msg"], r
    r = queue(c, {"q": "jretry", "jid": 1, "tsubset": "sometimes"})
    assert r.status == 400 and "sometimes" in r.json()["msg"], r
    # Without a login, on an engine that needs one.
    r = queue(ctx.client(), {"q": "jretire", "jid": 1})
    assert r.status == 401, r


def failed_job(c):
    """A job whose one task has failed once, and that task's tid. (A job's commands failing three times on a blade keep
    it from that blade, so each check's job fails at most three times.)"""
    jid = spool(c, FAILING)
    wait_for("the task to fail", lambda: tasks(c, jid).get("a", {}).get("state") == "error")
    return jid, tasks(c, jid)["a"]["tid"]


def check_failed_task_retry_resume_and_skip(ctx):
    c = ctx.logged_in()
    jid, a = failed_job(c)
    # tq retry: one task.
    r = queue(c, {"q": "tretry", "jid": jid, "tid": a})
    assert r.rc == 0 and r.json()["done"] == ["J%d T%d" % (jid, a)], r
    wait_for("the task to run again and fail", lambda: runs(c, jid, a) >= 2 and tasks(c, jid)["a"]["state"] == "error")
    # tq resume: from the command that failed.
    r = queue(c, {"q": "tretry", "recover": 1, "jid": jid, "tid": a})
    assert r.rc == 0 and r.json()["done"] == ["J%d T%d" % (jid, a)], r
    wait_for("the task to resume and fail", lambda: runs(c, jid, a) >= 3 and tasks(c, jid)["a"]["state"] == "error")
    # tq skip.
    r = queue(c, {"q": "tskip", "jid": jid, "tid": a})
    assert r.rc == 0 and tasks(c, jid)["a"]["state"] == "done", (r, tasks(c, jid))
    # A task the job does not have.
    r = queue(c, {"q": "tretry", "jid": jid, "tid": 99})
    assert r.status == 404 and "99" in r.json()["msg"], r


def check_retryallerrs_and_skipallerrs(ctx):
    c = ctx.logged_in()
    jid, a = failed_job(c)
    r = queue(c, {"q": "jretry", "tsubset": "error", "jid": jid})
    assert r.rc == 0 and r.json()["done"] == ["J%d" % jid], r
    wait_for("the task to run again and fail", lambda: runs(c, jid, a) >= 2 and tasks(c, jid)["a"]["state"] == "error")
    r = queue(c, {"q": "tskip", "tsubset": "error", "jid": jid})
    assert r.rc == 0 and tasks(c, jid)["a"]["state"] == "done", (r, tasks(c, jid))
    # Nothing in error now: the native refusal, as a failure naming why.
    r = queue(c, {"q": "tskip", "tsubset": "error", "jid": jid})
    assert r.status == 409 and "no task in error" in r.json()["msg"], r
    # No active task to retry in a job that is there: nothing could be done as things stand (409), not "not found" (404);
    # a job id that is not there is named as not found, and only missing jobs are a 404.
    r = queue(c, {"q": "jretry", "tsubset": "active", "jid": jid})
    assert r.status == 409 and r.json()["msg"] == "job %d has no active task to retry" % jid, r
    r = queue(c, {"q": "jretry", "tsubset": "active", "jid": "%d,99999" % jid})
    assert r.status == 409 and r.json()["msg"] == "job %d has no active task to retry; not found: J99999" % jid, r
    r = queue(c, {"q": "jretry", "tsubset": "active", "jid": 99999})
    assert r.status == 404 and r.json()["msg"] == "no job 99999", r


def check_running_job_retry_active_interrupt_restart_delete_restore(ctx):
    c = ctx.logged_in()
    jid = spool(c, LONG)
    wait_for("the sleeper to run", lambda: tasks(c, jid)["sleeper"]["state"] == "active")
    tid = tasks(c, jid)["sleeper"]["tid"]
    # tq retryactive: the running task starts over.
    r = queue(c, {"q": "jretry", "tsubset": "active", "jid": jid})
    assert r.rc == 0 and r.json()["done"] == ["J%d T%d" % (jid, tid)], r
    wait_for("the sleeper to run again", lambda: runs(c, jid, tid) >= 2 and tasks(c, jid)["sleeper"]["state"] == "active")
    # Kill one task: it goes to error and the job is not paused; a task with nothing running is refused, naming why.
    r = queue(c, {"q": "jinterrupt", "jid": jid, "tid": tid})
    assert r.rc == 0 and r.json()["done"] == ["J%d T%d" % (jid, tid)], r
    assert tasks(c, jid)["sleeper"]["state"] == "error" and job(c, jid)["paused"] is False, (tasks(c, jid), job(c, jid))
    r = queue(c, {"q": "jinterrupt", "jid": jid, "tid": tid})
    assert r.status == 409 and "no running command" in r.json()["msg"], r
    r = queue(c, {"q": "tretry", "jid": jid, "tid": tid})
    assert r.rc == 0, r
    wait_for("the sleeper to run a third time", lambda: runs(c, jid, tid) >= 3 and tasks(c, jid)["sleeper"]["state"] == "active")
    # tq interrupt: the job pauses and its running task goes to error.
    r = queue(c, {"q": "jinterrupt", "jid": jid})
    assert r.rc == 0, r
    assert job(c, jid)["paused"] is True and tasks(c, jid)["sleeper"]["state"] == "error", (job(c, jid), tasks(c, jid))
    # tq restart: the task waits to run from its start (the job stays paused).
    r = queue(c, {"q": "jrestart", "jid": jid})
    assert r.rc == 0 and tasks(c, jid)["sleeper"]["state"] != "error", (r, tasks(c, jid))
    # tractor-spool --jdelete: everything in a form body.
    r = queue(c, {"q": "jretire", "jid": jid, "hnm": "testhost", "login": ctx.user}, in_body=True)
    assert r.rc == 0 and job(c, jid)["deleted"] is True, (r, job(c, jid))
    r = queue(c, {"q": "jrestore", "jid": jid})
    assert r.rc == 0 and job(c, jid)["deleted"] is False, (r, job(c, jid))
    # Restoring it again: it is there and not deleted, refused as things stand.
    r = queue(c, {"q": "jrestore", "jid": jid})
    assert r.status == 409 and "J%d: not deleted" % jid in r.json()["msg"], r
    # Tractor 1.x's delete.
    r = queue(c, {"q": "jdelete", "jid": jid, "user": ctx.user, "hnm": "testhost"})
    assert r.rc == 0 and job(c, jid)["deleted"] is True, (r, job(c, jid))


def check_cattr_sets_command_attributes(ctx):
    c = ctx.logged_in()
    jid = spool(c, HELD, paused=True)
    cid = c.native_rows("commands", ["cid"], "jid=%d" % jid)[0]["cid"]
    r = queue(c, {"q": "cattr", "jid": jid, "cid": cid, "set_service": "linux", "set_tags": "gpu,big"})
    assert r.rc == 0 and r.json()["done"] == ["J%d T1 C%d" % (jid, cid)], r
    row = c.native_rows("commands", ["service", "tags"], "jid=%d and cid=%d" % (jid, cid))[0]
    assert row["service"] == "linux" and sorted(row["tags"]) == ["big", "gpu"], row
    r = queue(c, {"q": "cattr", "jid": jid, "cid": cid + 50, "set_service": "linux"})
    assert r.status == 404 and str(cid + 50) in r.json()["msg"], r
    r = queue(c, {"q": "cattr", "jid": jid, "set_service": "linux"})
    assert r.status == 400 and "cid" in r.json()["msg"], r


def check_another_users_job_is_refused_to_a_plain_user_and_done_by_an_administrator(ctx):
    other = ctx.logged_in_as("bystander")
    jid = spool(other, HELD, paused=True)
    c = ctx.logged_in()
    r = queue(c, {"q": "jattr", "jid": jid, "set_priority": 900})
    assert r.status == 403 and r.json()["rc"] == 403 and "bystander" in r.json()["msg"], r
    r = queue(c, {"q": "jretire", "jid": jid}, in_body=True)
    assert r.status == 403, r
    assert job(c, jid)["priority"] != 900 and job(c, jid)["deleted"] is False, job(c, jid)
    # The native reply counts what the rules refused: that is what makes the Tractor reply 403 and not 409.
    status, native = c.native("POST", "/api/v1/operations/chpri?force=1&priority=900&q=" + urllib.parse.quote("jid=%d" % jid))
    assert status == 200 and native["affected"] == 0 and native["forbidden"] == 1, (status, native)
    # Tractor sends no --force: an administrator's operation on another user's job is done (force=1, the rules allow it).
    boss = ctx.logged_in_as("boss")
    r = queue(boss, {"q": "jattr", "jid": jid, "set_priority": 900})
    assert r.rc == 0 and job(c, jid)["priority"] == 900, r


def check_ctrl_reconfigure_battribute_tracer_dbreconnect(ctx):
    c = ctx.logged_in()
    boss = ctx.logged_in_as("boss")
    r = c.transaction("ctrl", {"q": "reconfigure"})
    assert r.status == 403 and "reload" in r.json()["msg"], r
    r = boss.transaction("ctrl", {"q": "reconfigure", "file": "crews.config"})
    assert r.rc == 0 and "crews.config" in r.json()["msg"] and "crews.config" in r.json()["applied"], r
    r = boss.transaction("ctrl", {"q": "reconfigure"})
    assert r.rc == 0 and r.json()["msg"].startswith("config reloaded"), r
    r = boss.transaction("ctrl", {"q": "reconfigure", "file": "passwd"})
    assert r.status == 400 and "passwd" in r.json()["msg"], r
    r = ctx.client().transaction("ctrl", {"q": "reconfigure"})
    assert r.status == 401, r

    def nimby():
        return c.native_rows("blades", ["name", "nimby"], "name=tractorblade")[0]["nimby"]
    r = c.transaction("ctrl", {"q": "battribute", "b": "tractorblade/127.0.0.1", "nimby": 1})
    assert r.status == 403, r
    r = boss.transaction("ctrl", {"q": "battribute", "b": "tractorblade/127.0.0.1", "nimby": 1})
    assert r.rc == 0 and nimby(), (r, nimby())
    r = boss.transaction("ctrl", {"q": "battribute", "b": "tractorblade/127.0.0.1", "nimby": 0})
    assert r.rc == 0 and not nimby(), (r, nimby())
    # By the address alone, or by an old name with the blade's address: the blade registered from there is meant.
    r = boss.transaction("ctrl", {"q": "battribute", "b": "127.0.0.1", "nimby": 1})
    assert r.rc == 0 and nimby() and "tractorblade" in r.json()["msg"], (r, nimby())
    r = boss.transaction("ctrl", {"q": "battribute", "b": "renamed/127.0.0.1", "nimby": 0})
    assert r.rc == 0 and not nimby(), (r, nimby())
    r = boss.transaction("ctrl", {"q": "battribute", "b": "tractorblade/127.0.0.1", "nimby": "louise"})
    assert r.status == 400 and "louise" in r.json()["msg"], r
    r = boss.transaction("ctrl", {"q": "battribute", "b": "nosuchblade/10.0.0.9", "nimby": 1})
    assert r.status == 404 and "nosuchblade" in r.json()["msg"], r

    r = c.transaction("ctrl", {"q": "tracer", "t": "tractorblade/127.0.0.1", "fmt": "plain"})
    assert r.status == 200 and r.headers["content-type"].startswith("text/plain") and r.body, r
    r = c.transaction("ctrl", {"q": "tracer", "t": "nosuchblade/10.0.0.9", "fmt": "plain"})
    assert r.status == 404 and "nosuchblade" in r.json()["msg"], r
    r = c.transaction("ctrl", {"q": "tracer", "t": "tractorblade/127.0.0.1", "fmt": "html"})
    assert r.status == 501 and "fmt=html" in r.json()["msg"], r

    r = c.transaction("ctrl", {"q": "dbreconnect"})
    assert r.rc == 0 and "store" in r.json()["msg"], r


def check_ids_are_whole_numbers_comma_joined_and_nothing_else(ctx):
    c = ctx.logged_in()
    jid = spool(c, HELD, paused=True)
    for raw in ("%d+%d" % (jid, jid), "%%20%d" % jid, "%d," % jid, "%d,,%d" % (jid, jid), "+%d" % jid, ""):
        r = c.raw("queue?q=jattr&jid=%s&set_priority=5&tsid=%s" % (raw, c.tsid))
        assert r.status == 400 and "expected whole numbers above 0, comma-joined" in r.json()["msg"], (raw, r)
        r = c.raw("monitor?q=jtree&jid=%s&tsid=%s" % (raw, c.tsid))
        assert r.status == 400 and "jid" in r.json()["msg"], (raw, r)
    assert job(c, jid)["priority"] != 5


def check_a_nul_character_in_any_parameter_is_refused_naming_it(ctx):
    # .NET's number parsing passes over a trailing NUL ("17\0" reads as 17): every id, number and clause that holds one
    # is refused, whether it came in the URL, escaped in a form body, or as the byte itself in a form body.
    c = ctx.logged_in()
    jid = spool(c, HELD, paused=True)
    sent = (
        ("queue?q=jattr&jid=%d%%00&set_priority=9&tsid=%s" % (jid, c.tsid), None, "jid="),
        ("queue?q=jattr&jid=%d&set_priority=9%%00&tsid=%s" % (jid, c.tsid), None, "set_priority="),
        ("monitor?q=jobdetails&jid=%d%%00&tsid=%s" % (jid, c.tsid), None, "jid="),
        ("db?q=%s&tsid=%s" % (urllib.parse.quote("tractorselect('job', 'jid=%d\0', 'jid', '', 0, 'f', 'None')" % jid), c.tsid), None, "q="),
        ("queue", "q=jattr&jid=%d%%00&set_priority=9&tsid=%s" % (jid, c.tsid), "jid="),
        ("queue", "q=jattr&jid=%d&set_priority=9\0&tsid=%s" % (jid, c.tsid), "set_priority="),
    )
    for url, body, named in sent:
        r = c.raw(url, body=body)
        assert r.status == 400 and r.json()["msg"].startswith(named + " holds a NUL character (%00)"), (url, body, r)
    assert job(c, jid)["priority"] != 9


def check_a_job_id_repeated_many_times_is_that_job_once(ctx):
    c = ctx.logged_in()
    jid = spool(c, HELD, paused=True)
    r = c.raw("queue", body="q=jattr&set_priority=21&tsid=%s&" % c.tsid + "&".join(["jid=%d" % jid] * 15000))
    assert r.rc == 0 and r.json()["done"] == ["J%d" % jid] and "notfound" not in r.json(), r
    assert job(c, jid)["priority"] == 21


def check_ids_that_match_nothing_are_named_when_the_rest_are_refused(ctx):
    other = ctx.logged_in_as("bystander")
    theirs = spool(other, HELD, paused=True)
    c = ctx.logged_in()
    r = queue(c, {"q": "jretire", "jid": "%d,987654" % theirs})
    assert r.status == 403 and "bystander" in r.json()["msg"] and "not found: J987654" in r.json()["msg"], r
    # A task in a state the operation does not act on (409) beside one that does not exist.
    jid = spool(c, HELD, paused=True)
    assert queue(c, {"q": "tskip", "jid": jid, "tid": 1}).rc == 0
    r = queue(c, {"q": "tskip", "jid": jid, "tid": "1,99"})
    assert r.status == 409 and "T1" in r.json()["msg"] and "not found: J%d T99" % jid in r.json()["msg"], r


def check_a_command_not_in_the_task_named_says_so(ctx):
    c = ctx.logged_in()
    jid = spool(c, HELD, paused=True)
    cid = c.native_rows("commands", ["cid"], "jid=%d" % jid)[0]["cid"]
    r = queue(c, {"q": "cattr", "jid": jid, "cid": cid, "tid": 3, "set_tags": "zz"})
    assert r.status == 404 and ("no command %d in task 3 of job %d" % (cid, jid)) in r.json()["msg"], r


def check_a_job_id_list_past_the_limit_is_refused_in_the_callers_terms(ctx):
    c = ctx.logged_in()
    jids = ",".join(str(n) for n in range(1, 20002))
    reply = queue(c, {"q": "jretire", "jid": jids}, in_body=True)
    msg = reply.json()["msg"]
    assert reply.status == 400 and "20001 job ids" in msg and "20000" in msg and "column" not in msg, reply
    # One id per job, each with its task: a pair is two comparisons of the clause.
    pairs = ",".join(str(n) for n in range(1, 1002))
    reply = queue(c, {"q": "tretry", "jid": pairs, "tid": pairs}, in_body=True)
    msg = reply.json()["msg"]
    assert reply.status == 400 and "1001 jobs each with its own tid=" in msg and "column" not in msg, reply
