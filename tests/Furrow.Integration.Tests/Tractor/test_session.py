"""Transport (§1), login and sessions (§2), spooling (§3): what Tractor's EngineClient, tractor-spool and the author
API send, checked through the native API."""

import json
import socket

from tractor_client import urlopen_get, mask_password

SCRIPT = """##AlfredToDo 3.0
Job -title {tractor face} -comment {spooled by the Tractor client} -subtasks {
    Task {one} -cmds {
        RemoteCmd {/bin/echo one}
    }
}
"""


def check_server_header_and_length(ctx):
    reply = ctx.client().transaction("monitor", {"q": "loginscheme"})
    assert reply.status == 200, reply
    assert reply.headers["server"].startswith("Pixar_tractor/2."), reply.headers
    assert int(reply.headers["content-length"]) == len(reply.body), reply.headers
    assert reply.json()["validation"].startswith("internal:"), reply.json()


def check_login_with_masked_password_gives_a_tsid_the_native_api_takes(ctx):
    c = ctx.client()
    reply = c.login(ctx.password)
    assert reply.status == 200, reply
    assert len(c.tsid) == 36, c.tsid
    status, who = c.native("GET", "/api/v1/auth")
    assert status == 200 and who["user"] == ctx.user, (status, who)
    # ctrl?q=status is how EngineClient checks a saved tsid still stands.
    assert c.transaction("ctrl", {"q": "status"}).rc == 0
    c.logout()
    c.tsid = who_tsid = reply.json()["tsid"]
    after = c.transaction("ctrl", {"q": "status"})
    assert after.status == 401 and who_tsid in after.json()["msg"], after


def check_wrong_password_and_replayed_challenge_are_refused(ctx):
    c = ctx.client()
    challenge = c.transaction("monitor", {"q": "gentoken"}).json()["challenge"]
    wrong = c.transaction("monitor", {"q": "login", "user": ctx.user, "c": mask_password(ctx.password + "x", challenge)})
    assert wrong.status == 401 and wrong.json()["tsid"] is None, wrong
    # The challenge was used: the right password with it is refused too.
    replay = c.transaction("monitor", {"q": "login", "user": ctx.user, "c": mask_password(ctx.password, challenge)})
    assert replay.status == 401 and "used already" in replay.json()["msg"], replay
    # A value that is not a masked password at all is said to be that, and uses no challenge up.
    fresh = c.transaction("monitor", {"q": "gentoken"}).json()["challenge"]
    garbage = c.transaction("monitor", {"q": "login", "user": ctx.user, "c": "abc"})
    assert garbage.status == 401 and "not Tractor's masked password" in garbage.json()["msg"], garbage
    ok = c.transaction("monitor", {"q": "login", "user": ctx.user, "c": mask_password(ctx.password, fresh)})
    assert ok.status == 200 and ok.json()["tsid"], ok


def check_login_without_password_is_refused_where_logins_are_needed(ctx):
    reply = ctx.client().transaction("monitor", {"q": "login", "user": ctx.user})
    assert reply.status == 401 and reply.json()["tsid"] is None, reply


def check_calls_without_a_tsid_are_refused_with_rc_and_msg(ctx):
    reply = ctx.client().transaction("ctrl", {"q": "status"})
    assert reply.status == 401, reply
    body = reply.json()
    assert body["rc"] == 401 and "login" in body["msg"], body


def check_spool_alfred_text_and_read_the_job_back(ctx):
    c = ctx.logged_in()
    reply = c.spool(SCRIPT, filename="/shots/a.alf", cwd="/shots/a")
    assert reply.status == 200, reply
    body = reply.json()
    assert body["rc"] == 0 and isinstance(body["jid"], int), body
    jobs = c.native_rows("jobs", ["title", "owner", "spoolfile", "spoolcwd", "spoolhost"], "jid=%d" % body["jid"])
    assert len(jobs) == 1, jobs
    job = jobs[0]
    assert job["title"] == "tractor face" and job["owner"] == ctx.user, job
    assert job["spoolfile"] == "/shots/a.alf" and job["spoolcwd"] == "/shots/a" and job["spoolhost"] == "testhost", job


def check_spool_of_utf16_text_with_the_transports_crlf_reads_the_script(ctx):
    # Tractor's transport appends CR LF as two bytes to every body; after UTF-16 text (with its byte-order mark) they
    # belong to no character of the script.
    c = ctx.logged_in()
    for codec, mark in (("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff")):
        script = SCRIPT.replace("tractor face", "Sz\u00e8ne %s" % codec)
        reply = c.spool(mark + script.encode(codec))
        assert reply.status == 200 and reply.json()["rc"] == 0, (codec, reply)
        jobs = c.native_rows("jobs", ["title"], "jid=%d" % reply.json()["jid"])
        assert jobs == [{"title": "Sz\u00e8ne %s" % codec}], (codec, jobs)


def check_spool_with_params_in_a_form_body_and_1x_headers(ctx):
    c = ctx.logged_in()
    # Tractor 1.x: the settings ride in X-Tractor-* headers (§3c), no CRLF after the body.
    reply = c.raw("spool?tsid=" + c.tsid, body=SCRIPT, content_type="application/tractor-spool", crlf=False,
                  extra_headers={"X-Tractor-User": ctx.user, "X-Tractor-Priority": "7", "X-Tractor-Jobfile": "old.alf"})
    assert reply.status == 200, reply
    jid = reply.json()["jid"]
    jobs = c.native_rows("jobs", ["priority", "spoolfile"], "jid=%d" % jid)
    assert jobs[0]["priority"] == 7 and jobs[0]["spoolfile"] == "old.alf", jobs


def check_1x_spool_headers_that_are_bad_or_disagree_with_a_parameter_are_refused_naming_the_header(ctx):
    c = ctx.logged_in()
    def spool(query, headers):
        return c.raw("spool?tsid=" + c.tsid + query, body=SCRIPT, content_type="application/tractor-spool", crlf=False,
                     extra_headers=headers)
    refusals = [
        ("&priority=9", {"X-Tractor-Priority": "7"}, ["X-Tractor-Priority", "'7'", "priority=", "'9'"]),
        ("", {"X-Tractor-Priority": "high"}, ["X-Tractor-Priority", "'high'", "not a number"]),
        ("", {"X-Tractor-Priority": "2000000000"}, ["X-Tractor-Priority", "out of range"]),
        ("", {"X-Tractor-Priority": "1e9"}, ["X-Tractor-Priority", "not a number"]),
        ("", {"X-Tractor-Spoolhost": "bad host"}, ["hnm 'bad host' is no host name"]),
        ("&jobOwner=" + ctx.user, {"X-Tractor-User": "somebodyelse"}, ["X-Tractor-User", "jobOwner="]),
        ("", {"X-Tractor-User": "bad name"}, ["X-Tractor-User", "'bad name'"]),
        ("&hnm=farmhost", {"X-Tractor-Spoolhost": "otherhost"}, ["X-Tractor-Spoolhost", "hnm="]),
        ("&jobcwd=/a", {"X-Tractor-Dir": "/b"}, ["X-Tractor-Dir", "jobcwd="]),
        ("&jobFile=a.alf", {"X-Tractor-Jobfile": "b.alf"}, ["X-Tractor-Jobfile", "jobFile="]),
    ]
    for query, headers, named in refusals:
        reply = spool(query, headers)
        assert reply.status == 400, (query, headers, reply)
        body = reply.json()
        assert set(body) == {"rc", "msg"} and body["rc"] == 400, body
        for word in named:
            assert word in body["msg"], (word, body)
    # Agreeing, the two are one setting.
    reply = spool("&priority=7", {"X-Tractor-Priority": "7"})
    assert reply.status == 200, reply
    jobs = c.native_rows("jobs", ["priority"], "jid=%d" % reply.json()["jid"])
    assert jobs[0]["priority"] == 7, jobs


def check_every_error_under_tractor_is_exactly_rc_and_msg(ctx):
    c = ctx.logged_in()
    t = "tsid=" + c.tsid
    requests = [
        # (what, verb and query, body, content type, method, extra headers, expected status)
        ("no such verb", "nosuchverb?" + t, None, None, "GET", None, 501),
        ("no such path", "a/b/c?" + t, None, None, "GET", None, 404),
        ("a method Tractor's URLs do not take", "monitor?q=jobs&" + t, None, None, "DELETE", None, 405),
        ("a method on no such verb", "nosuchverb?" + t, None, None, "PUT", None, 405),
        ("not logged in", "queue?q=jretry&jid=1", None, None, "POST", None, 401),
        ("a tsid that is no session", "queue?q=jretry&jid=1&tsid=nosuchsession", None, None, "POST", None, 401),
        ("a parameter twice, disagreeing", "monitor?q=jobs&q=blades&" + t, None, None, "GET", None, 400),
        ("a form body too large", "queue?" + t, "q=jretry&jid=" + "1," * 600000, None, "POST", None, 413),
        ("a spool whose job has no tasks", "spool?" + t, "Job -title {x}", "application/tractor-spool", "POST", None, 400),
        ("a spool header at odds with its parameter", "spool?priority=1&" + t, SCRIPT, "application/tractor-spool", "POST",
         {"X-Tractor-Priority": "2"}, 400),
        ("a bad id", "queue?q=jretry&jid=abc&" + t, None, None, "POST", None, 400),
        ("a spool that does not parse", "spool?" + t, "Job -title {x", "application/tractor-spool", "POST", None, 400),
    ]
    wrong = []
    for what, target, body, content_type, method, headers, status in requests:
        reply = c.raw(target, body=body, content_type=content_type, method=method, extra_headers=headers)
        parsed = reply.json() if reply.body.startswith(b"{") else None
        if (reply.status != status or not reply.headers.get("content-type", "").startswith("application/json")
                or parsed is None or set(parsed) != {"rc", "msg"} or parsed["rc"] != status or not parsed["msg"]):
            wrong.append((what, status, reply.headers.get("content-type"), reply))
    assert not wrong, "\n".join(repr(w) for w in wrong)


def check_spool_error_names_the_line(ctx):
    c = ctx.logged_in()
    reply = c.spool("Job -title {x} -subtasks {\n  Task {a} -cmds {\n    RemoteCmd {echo} -nosuchoption 1\n  }\n}\n")
    assert reply.status == 400, reply
    body = reply.json()
    assert body["rc"] == 400 and "nosuchoption" in body["msg"] and ":3:" in body["msg"], body


def check_spool_as_another_owner_takes_an_administrator(ctx):
    c = ctx.logged_in()
    reply = c.spool(SCRIPT, owner="somebodyelse")
    assert reply.status == 403 and "administrator" in reply.json()["msg"], reply


def check_jspool_reads_tractors_json_form_as_tractor_spool_writes_it(ctx):
    c = ctx.logged_in()
    # JSON that is neither Furrow's job form nor Tractor's is answered 501, on which tractor-spool falls back to spool.
    reply = c.transaction("jspool", {"q": "newjob", "spvers": "2.0", "jobOwner": ctx.user, "format": "JSON"},
                          body='{"title": "x", "tdh": [], "jtypes": "Job"}', content_type="application/tractor-spool-json")
    assert reply.status == 501 and "alfred" in reply.json()["msg"], reply
    # The form tractor-spool 2.x writes: a format version, the job's attributes under "data", its tasks under "children"
    # (each again "data" with "commands", and "children"); command types as Tractor codes them (RC, RD cleanup, RPD ...).
    tractor_form = """#!tractor-checkpoint header line
{"TractorJob": "2.0",
 "data": {"title": "tractor form", "priority": 3, "paused": 1, "tags": "fx comp", "projects": ["shots"],
          "serialsubtasks": 0, "maxactive": 2,
          "commands": [{"type": "RD", "argv": ["/bin/echo", "cleanup"]}, {"type": "RPD", "argv": ["/bin/echo", "done"]}]},
 "children": [
   {"data": {"title": "comp", "id": "comp", "serialsubtasks": 1,
             "commands": [{"type": "RC", "argv": ["/bin/echo", "comp"], "service": "linux", "tags": "heavy"}]},
    "children": [
      {"data": {"title": "render", "commands": [{"argv": ["/bin/echo", "render"], "retryrc": [3, 4]}]}},
      {"data": {"title": "again", "ants": ["render"]}}]}]}
"""
    reply = c.transaction("jspool", {"q": "newjob", "spvers": "2.0", "jobOwner": ctx.user, "format": "JSON"},
                          body=tractor_form, content_type="application/tractor-spool-json")
    assert reply.status == 200 and reply.json()["rc"] == 0, reply
    jid = reply.json()["jid"]
    job = c.native_rows("jobs", ["title", "priority", "paused", "tags", "projects", "maxactive"], "jid=%d" % jid)[0]
    assert (job["title"], job["priority"], job["paused"], job["maxactive"]) == ("tractor form", 3, True, 2), job
    tasks = {t["title"]: t for t in c.native_rows("tasks", ["tid", "title", "ptids"], "jid=%d" % jid)}
    assert {"comp", "render", "again"} <= set(tasks), tasks
    commands = c.native_rows("commands", ["tid", "argv", "service", "runtype"], "jid=%d" % jid)
    kinds = sorted((cmd["argv"][-1], cmd["runtype"]) for cmd in commands)
    assert ("cleanup", "cleanup") in kinds and ("done", "post_done") in kinds and ("comp", "regular") in kinds, kinds
    # A wrong type is refused naming its key, line and column, as an alfred script's errors are.
    bad = tractor_form.replace('"maxactive": 2', '"maxactive": "two"')
    reply = c.transaction("jspool", {"q": "newjob", "spvers": "2.0", "jobOwner": ctx.user, "format": "JSON"},
                          body=bad, content_type="application/tractor-spool-json")
    assert reply.status == 400 and ":4:" in reply.json()["msg"] and "maxactive" in reply.json()["msg"], reply
    # The same refusal sent as UTF-16 (its byte-order mark decides, as for any script) is 400 too, not the 501 that would
    # send tractor-spool to the alfred fallback.
    for codec, mark in (("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff")):
        reply = c.transaction("jspool", {"q": "newjob", "spvers": "2.0", "jobOwner": ctx.user, "format": "JSON"},
                              body=mark + bad.encode(codec), content_type="application/tractor-spool-json")
        assert reply.status == 400 and "maxactive" in reply.json()["msg"], (codec, reply)
    # A NUL written \u0000 in a value is refused where it is: the command would run with its argument cut there.
    nul = tractor_form.replace('["/bin/echo", "render"]', '["/bin/echo", "x\\u0000y"]')
    reply = c.transaction("jspool", {"q": "newjob", "spvers": "2.0", "jobOwner": ctx.user, "format": "JSON"},
                          body=nul, content_type="application/tractor-spool-json")
    assert reply.status == 400 and "at $.children[0].children[0].data.commands[0].argv[1]: a NUL character" in reply.json()["msg"], reply
    # ... and in a clause, through tq's aliases (a Python \x00), as the URL's %00 is.
    reply = c.select("job", "mine", ["jid"], aliases={"mine": "jid=%d\x00" % jid})
    assert reply.status == 400 and "a NUL character in the clause" in reply.json()["msg"], reply


def check_unknown_verb_and_query_name_themselves(ctx):
    c = ctx.logged_in()
    verb = c.transaction("nosuchverb", {"q": "x"})
    assert verb.status == 501 and "nosuchverb" in verb.json()["msg"], verb
    query = c.transaction("monitor", {"q": "nosuchquery"})
    assert query.status == 501 and "nosuchquery" in query.json()["msg"], query
    # A control character in what is quoted back is written as an escape: a newline sent in q= starts no line of its own.
    query = c.transaction("monitor", {"q": "nosuch\nq\x1b[31m"})
    msg = query.json()["msg"]
    assert query.status == 501 and "nosuch\\nq\\x1b[31m" in msg and "\n" not in msg and "\x1b" not in msg, query


def check_plain_get_works_like_post(ctx):
    c = ctx.logged_in()
    reply = urlopen_get(ctx.host, ctx.port, "ctrl?q=status&tsid=" + c.tsid)
    assert reply.status == 200 and reply.json()["rc"] == 0, reply
    # ... and a form body carries the tsid as well as the URL does, CRLF and all.
    form = c.transaction("ctrl", {"q": "status"}, in_body=True)
    assert form.status == 200, form


def check_status_queue_params_are_answered_or_refused_by_name(ctx):
    """ctrl?q=status&qlen=1&enumq=1 (tq's queue stats): qlen=1 adds the queue's length; enumq=1, a listing of the queue
    Furrow does not give here, is refused naming it; a value neither takes is refused naming the param."""
    c = ctx.logged_in()
    plain = c.transaction("ctrl", {"q": "status"})
    assert plain.status == 200 and "qlen" not in plain.json(), plain
    with_length = c.transaction("ctrl", {"q": "status", "qlen": "1", "enumq": "0"})
    body = with_length.json()
    assert with_length.status == 200 and body["qlen"] == body["queuedTasks"] and isinstance(body["qlen"], int), body
    # A switch by the one rule: qlen=TRUE is qlen=1.
    spelled = c.transaction("ctrl", {"q": "status", "qlen": "TRUE"})
    assert spelled.status == 200 and "qlen" in spelled.json(), spelled
    listing = c.transaction("ctrl", {"q": "status", "qlen": "1", "enumq": "1"})
    assert listing.status == 501 and "enumq=1" in listing.json()["msg"], listing
    for param in ("qlen", "enumq"):
        bad = c.transaction("ctrl", {"q": "status", param: "maybe"})
        assert bad.status == 400 and ("bad %s 'maybe'" % param) in bad.json()["msg"], bad


def check_status_qlen_is_the_dispatchable_queue_without_paused_jobs(ctx):
    """qlen counts the ready tasks dispatch may hand out: a paused job's ready tasks stay ready (readyTasks) but leave
    the queue. This area runs no blade, so the job's two tasks stay ready."""
    c = ctx.logged_in()
    reply = c.spool("Job -title {queued} -subtasks {\n Task {a} -cmds { RemoteCmd {/bin/echo a} }\n"
                    " Task {b} -cmds { RemoteCmd {/bin/echo b} }\n}\n")
    assert reply.status == 200, reply
    jid = reply.json()["jid"]

    def status():
        r = c.transaction("ctrl", {"q": "status", "qlen": "1"})
        assert r.status == 200, r
        return r.json()

    before = status()
    paused = c.transaction("queue", {"q": "jattr", "jid": jid, "set_pause": 1})
    assert paused.status == 200, paused
    after = status()
    assert after["readyTasks"] == before["readyTasks"] and after["qlen"] == before["qlen"] - 2, (before, after)
    assert after["qlen"] == after["queuedTasks"] <= after["readyTasks"] - 2, after


def check_tractor_blade_protocol_is_refused_by_name(ctx):
    reply = ctx.client().transaction("task", {"q": "nextcmd"}, in_body=True)
    assert reply.status == 501 and "furrow blade" in reply.json()["msg"], reply


def check_site_file_is_absent(ctx):
    reply = ctx.client().transaction("config", {"file": "trSiteFunctions.py"})
    assert reply.status == 404 and "trSiteFunctions.py" in reply.json()["msg"], reply


def check_hostile_form_bodies_are_refused_naming_why(ctx):
    c = ctx.client()
    big = c.raw("ctrl", body="q=status&pad=" + "x" * (1 << 20))
    assert big.status == 413 and "bytes" in big.json()["msg"], big
    # A large body within the limit arrives in many reads and is read whole: its last parameter counts (empty pairs,
    # between doubled '&', are nothing).
    long_body = c.raw("ctrl", body="q=status" + "&" * 600000 + "tsid=the-last-parameter-of-a-long-body")
    assert long_body.status == 401 and "the-last-parameter-of-a-long-body" in long_body.json()["msg"], long_body
    # A body of no stated length (chunked) is held to the same limit as it arrives.
    big_chunked = _chunked_post(ctx, "/Tractor/ctrl", [b"q=status&pad=", b"y" * 400000, b"y" * 400000, b"y" * 400000])
    assert big_chunked[0] == 413 and b"bytes" in big_chunked[1], big_chunked[0]
    # Bytes that are not UTF-8 are read as Latin-1, as job scripts are, not refused: this call only lacks a login.
    binary = c.raw("ctrl", body=b"q=status&qlen=\xff\xfe")
    assert binary.status == 401 and "needs a login" in binary.json()["msg"], binary
    garbage = c.raw("ctrl?q=status&tsid=not-a-session")
    assert garbage.status == 401 and "not-a-session" in garbage.json()["msg"], garbage
    # A long one is not echoed whole.
    long = c.raw("ctrl?q=status&tsid=" + "x" * 5000)
    assert long.status == 401 and len(long.json()["msg"]) < 300, long
    # A verb without q= is a bad request, naming what it takes.
    assert c.raw("ctrl").status == 400
    # After all that the engine still serves a proper call.
    assert ctx.logged_in().transaction("ctrl", {"q": "status"}).rc == 0


def check_verbs_match_in_any_case(ctx):
    reply = ctx.client().raw("Monitor?q=loginscheme")
    assert reply.status == 200 and "validation" in reply.json(), reply


def check_refusals_before_a_verb_runs_carry_tractors_server_header_too(ctx):
    # Refused by the engine's request checks (a user name it cannot take), before any verb runs.
    reply = ctx.client().transaction("monitor", {"q": "login", "user": "bad name\x01"})
    assert reply.status == 400, reply
    assert reply.headers["server"].startswith("Pixar_tractor/2."), reply.headers
    assert reply.json()["rc"] == 400 and "bad user" in reply.json()["msg"], reply
    for path in ["", "monitor/extra"]:
        missing = ctx.client().raw(path)
        assert missing.status == 404 and missing.headers["server"].startswith("Pixar_tractor/2."), missing
        assert "not a Tractor URL" in missing.json()["msg"], missing


def check_clauses_nested_too_deep_or_listing_many_jobs_are_answered_never_crash_the_engine(ctx):
    c = ctx.logged_in()
    # 200 KB form bodies: deep enough to have ended the engine's process through its parser's recursion.
    for where in ["not " * 50000 + "jid", "(" * 50000 + "jid" + ")" * 50000]:
        select = "tractorselect('job', '%s', 'jid', '', 3, 'f', 'None')" % where
        reply = c.transaction("db", {"q": select}, in_body=True)
        assert reply.status == 400 and "more than 100 deep" in reply.json()["msg"], reply
    # An operation on 1,500 jobs, its jid list in the URL as Tractor's clients send it (about 10 KB): answered in
    # Tractor's shape (none of these jobs exist), never an empty 414 or 500.
    jids = ",".join(str(i) for i in range(100000, 101500))
    reply = c.transaction("queue", {"q": "jattr", "jid": jids, "set_priority": 5})
    assert reply.status == 404 and reply.json()["rc"] == 404, reply
    assert c.transaction("ctrl", {"q": "status"}).rc == 0


def check_nul_in_spool_settings_and_attributes_is_refused_naming_them(ctx):
    c = ctx.logged_in()
    reply = c.spool(SCRIPT, cwd="/t\x00mp")
    assert reply.status == 400 and "cwd" in reply.json()["msg"] and "NUL" in reply.json()["msg"], reply
    jid = c.spool(SCRIPT).json()["jid"]
    title = c.transaction("queue", {"q": "jattr", "jid": jid, "set_title": "a\x00b"})
    assert title.status == 400 and "NUL" in title.json()["msg"], title


def check_a_parameter_repeated_many_times_is_read_once_and_too_many_are_refused_naming_the_limit(ctx):
    c = ctx.logged_in()
    # 19,000 copies of one parameter (a form body of ~100 KB) are that value once, read in one pass.
    repeated = c.raw("ctrl", body="q=status&tsid=%s&" % c.tsid + "&".join(["qlen=1"] * 19000))
    assert repeated.status == 200 and repeated.json()["rc"] == 0, repeated
    # The same, with different values: refused naming the parameter and some of its values.
    different = c.raw("ctrl", body="q=status&tsid=%s&" % c.tsid + "&".join("a=%d" % (i % 3) for i in range(19000)))
    assert different.status == 400 and "a= is given 19000 times" in different.json()["msg"], different
    # Past 20,000 pairs in the URL and the body together: refused naming the limit, before a login is asked for.
    many = ctx.client().raw("ctrl?q=status", body="&".join(["a=1"] * 20000))
    assert many.status == 400 and "the URL and the form body send more than 20000 parameters" in many.json()["msg"], many
    many = ctx.client().raw("ctrl?q=status&" + "&".join(["a=1"] * 20000))
    assert many.status == 400 and "the URL sends more than 20000 parameters" in many.json()["msg"], many


def check_a_get_with_a_form_body_reads_it(ctx):
    c = ctx.logged_in()
    reply = c.raw("ctrl", body="q=status&qlen=1&tsid=" + c.tsid, method="GET")
    assert reply.status == 200 and reply.json()["rc"] == 0 and "qlen" in reply.json(), reply


def check_a_body_is_read_as_parameters_or_refused_naming_its_type_never_dropped(ctx):
    c = ctx.logged_in()
    jid = c.spool('Job -title {body types} -paused 1 -subtasks { Task {t} -cmds { RemoteCmd {true} } }').json()["jid"]
    params = "q=jattr&jid=%d&set_title=%%s&tsid=%s" % (jid, c.tsid)

    def title():
        return c.native_rows("jobs", ["title"], "jid=%d" % jid)[0]["title"]

    # No Content-Type at all (a request written by hand): the body is the form it can only be.
    reply = c.raw("queue", body=params % "bare", content_type="")
    assert reply.status == 200 and title() == "bare", (reply, title())
    # Another type is refused naming it, and nothing is done: before, the body went unread and the reply said 'queue needs q='.
    for content_type in ("text/plain", "application/json", "application/octet-stream"):
        reply = c.raw("queue", body=params % "typed", content_type=content_type)
        assert reply.status == 415 and content_type in reply.json()["msg"] and "is not read" in reply.json()["msg"], (content_type, reply)
        assert title() == "bare", title()
    # With the parameters in the URL, an empty or white-space body of any type is nothing.
    reply = c.raw("queue?" + params % "in-url", body="\r\n", content_type="text/plain")
    assert reply.status == 200 and title() == "in-url", (reply, title())
    # curl -F: a multipart form's fields are parameters like a form body's.
    boundary = "furrowboundary42"
    fields = dict(p.split("=", 1) for p in (params % "multipart").split("&"))
    multipart = "".join('--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n' % (boundary, k, v) for k, v in fields.items())
    multipart += "--%s--\r\n" % boundary
    reply = c.raw("queue", body=multipart, content_type="multipart/form-data; boundary=" + boundary, crlf=False)
    assert reply.status == 200 and title() == "multipart", (reply, title())
    # ... but a file in one is refused naming it.
    with_file = multipart.replace("--%s--" % boundary, '--%s\r\nContent-Disposition: form-data; name="script"; filename="job.alf"\r\n\r\nJob\r\n--%s--' % (boundary, boundary))
    reply = c.raw("queue", body=with_file.replace("set_title\"\r\n\r\nmultipart", "set_title\"\r\n\r\nfile"), content_type="multipart/form-data; boundary=" + boundary, crlf=False)
    assert reply.status == 400 and "sends a file (script=job.alf)" in reply.json()["msg"], reply
    assert title() == "multipart", title()


def check_a_mistyped_url_is_refused_as_tractor_refuses_without_echoing_its_parameters(ctx):
    c = ctx.logged_in()
    # '?' escaped as %3F: the parameters become part of the verb; the refusal says so and does not hand the tsid back.
    reply = c.raw("monitor%%3Fq=jobs&tsid=%s" % c.tsid)
    msg = reply.json()["msg"]
    assert reply.status == 501 and "'monitor...'" in msg and "%3F" in msg and c.tsid not in msg, reply
    reply = c.raw("monitor/more%%3Fq=jobs&tsid=%s" % c.tsid)
    assert reply.status == 404 and c.tsid not in reply.json()["msg"], reply
    # '/' escaped as %2F: one path segment to a router, answered as Tractor's URLs answer, not with the native API's 401.
    lines = ["POST /Tractor%%2Fmonitor?q=jobs&tsid=%s HTTP/1.0" % c.tsid, "Host: %s:%d" % (c.host, c.port), "Content-Length: 0"]
    with socket.create_connection((c.host, c.port), timeout=60) as s:
        s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("ascii"))
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 404") or head.startswith(b"HTTP/1.0 404"), head
    reply = json.loads(body.decode("utf-8"))
    assert reply["rc"] != 0 and "escaped (%2F)" in reply["msg"], reply


def check_an_empty_qlen_or_enumq_is_refused_naming_it(ctx):
    c = ctx.logged_in()
    for param in ("qlen", "enumq"):
        bad = c.transaction("ctrl", {"q": "status", param: ""})
        assert bad.status == 400 and ("bad %s ''" % param) in bad.json()["msg"], bad


def check_spool_refuses_a_query_or_parameter_it_does_not_apply_naming_it(ctx):
    c = ctx.logged_in()
    refusals = [
        ({"q": "bogus"}, 501, "spool?q=bogus"),
        ({"q": "jretire", "jid": "1"}, 501, "spool?q=jretire"),
        ({"jremoteclean": "1"}, 501, "-whendone"),
        ({"alfescape": "1"}, 501, "alfescape="),
        ({"tier": "batch", "jtier": "rush"}, 400, "tier= and jtier="),
        ({"spvers": "9.9"}, 501, "spvers=9.9"),
        ({"frobnicate": "1"}, 400, "frobnicate="),
        ({"blocking": "nonsense"}, 400, "bad blocking 'nonsense'"),
        ({"paused": "maybe"}, 400, "paused 'maybe': expected one of 1, 0, true, false, yes, no, on or off"),
        # One rule per kind of value, the native spool's and jattr's: no space around a number, no exponent, no empty
        # item in a list; an empty value is refused, never dropped as if not given.
        ({"priority": " 5"}, 400, "priority ' 5': expected a number"),
        ({"priority": "1e2"}, 400, "priority '1e2': expected a number"),
        ({"priority": ""}, 400, "priority= is empty"),
        ({"maxactive": " 3"}, 400, "maxactive ' 3': expected a whole number from 0 up"),
        ({"maxactive": ""}, 400, "maxactive= is empty"),
        ({"jtier": ""}, 400, "jtier= is empty"),
        ({"title": " "}, 400, "title= is blank"),
        ({"afterjid": "1,,2"}, 400, "afterjid '1,,2': it has two commas with nothing between them"),
        ({"afterjids": "1,"}, 400, "afterjids '1,': it ends with a comma"),
        ({"hnm": "bad host"}, 400, "hnm 'bad host' is no host name"),
        ({"jobcwd": "relative"}, 400, "jobcwd 'relative' is a relative directory"),
        ({"format": "xml"}, 400, "bad format 'xml'"),
        ({"cwd": "/f"}, 400, "cwd= says '/f'"),  # beside the client's jobcwd=/tmp
    ]
    script = SCRIPT.replace("{tractor face}", "{refusedspool}")
    for extra, status, named in refusals:
        reply = c.spool(script, extra=extra)
        assert reply.status == status and reply.json()["rc"] == status and named in reply.json()["msg"], (extra, reply)
    assert c.native_rows("jobs", ["jid"], "title like refusedspool") == [], "a refused spool spooled a job"
    # A switch reads as jattr's set_pause= reads it.
    reply = c.spool(SCRIPT.replace("{tractor face}", "{pausedTRUE}"), extra={"paused": "TRUE"})
    assert reply.status == 200, reply
    assert c.native_rows("jobs", ["paused"], "title like pausedTRUE") == [{"paused": True}], "paused=TRUE did not pause the job"
    # What Tractor's clients send is taken: q=newjob, spvers=2.0, blocking=spool, and the same directory twice.
    reply = c.spool(SCRIPT, extra={"q": "newjob", "blocking": "spool", "cwd": "/tmp"})
    assert reply.status == 200 and reply.json()["jid"] > 0, reply
    # An escaped surrogate without its pair is refused at its place (it made reading the value fail: a 500 and no body).
    reply = c.transaction("jspool", {"q": "newjob"}, body='{"TractorJob": "2.0", "data": {"title": "\\ud800"}, "children": []}',
                          content_type="application/tractor-spool-json")
    assert reply.status == 400 and "an escaped surrogate without its pair" in reply.json()["msg"], reply
    # An empty jspool body (the transport's CRLF alone) is no job in any form: 400 saying so at its start, not a 501 that
    # sends tractor-spool on to spool nothing as alfred.
    reply = c.transaction("jspool", {"q": "newjob"}, body="", content_type="application/tractor-spool-json")
    assert reply.status == 400 and ":1:1: there is no JSON here" in reply.json()["msg"], reply
    # jspool takes q=newjob and refuses any other q= before reading its body.
    reply = c.transaction("jspool", {"q": "jretire", "jid": "1"}, body="{}", content_type="application/tractor-spool-json")
    assert reply.status == 501 and "jspool?q=jretire" in reply.json()["msg"], reply


def check_spool_passes_tractor_spools_job_wide_overrides_on(ctx):
    """tractor-spool's --jtier, --jprojects, --maxactive, --afterjid, --aftertime, --jsvckey, --jenvkey (and the shorter
    names) are the job's, as the native spool's overrides set them, whatever the script says."""
    c = ctx.logged_in()
    first = c.spool(SCRIPT)
    assert first.status == 200, first
    cases = [
        ({"tier": "batch"}, "tier", "batch"),
        ({"jtier": "rush"}, "tier", "rush"),
        # A tier is one whatever its case: stored as the site spells it, so a search for tier=rush finds it.
        ({"jtier": "RUSH"}, "tier", "rush"),
        ({"projects": "p1,p2"}, "projects", ["p1", "p2"]),
        ({"jprojects": "p3"}, "projects", ["p3"]),
        ({"maxactive": "2"}, "maxactive", 2),
        ({"afterjid": str(first.json()["jid"])}, "afterjids", [first.json()["jid"]]),
        ({"jenvkey": "prman-24"}, "envkey", ["prman-24"]),
        ({"title": "overridden title"}, "title", "overridden title"),
        ({"jsvckey": "linux"}, "service", "linux"),
        ({"svckey": "gpu"}, "service", "gpu"),
    ]
    for extra, column, value in cases:
        reply = c.spool(SCRIPT, extra=extra)
        assert reply.status == 200, (extra, reply)
        rows = c.native_rows("jobs", [column], "jid=%d" % reply.json()["jid"])
        assert rows[0][column] == value, (extra, rows)
    # aftertime= (and after=) hold the job as the script's own -after does: the same time, none without it.
    written = c.spool(SCRIPT.replace("-comment", "-after {12 31 23:59} -comment"))
    assert written.status == 200, written
    held = c.native_rows("jobs", ["aftertime"], "jid=%d" % written.json()["jid"])[0]["aftertime"]
    assert held, ("a script's -after set no after time", held)
    assert not c.native_rows("jobs", ["aftertime"], "jid=%d" % first.json()["jid"])[0]["aftertime"]
    for name in ("aftertime", "after"):
        reply = c.spool(SCRIPT, extra={name: "12 31 23:59"})
        assert reply.status == 200, (name, reply)
        rows = c.native_rows("jobs", ["aftertime"], "jid=%d" % reply.json()["jid"])
        assert rows[0]["aftertime"] == held, (name, rows, held)
    # A bad value is refused naming it, as the native spool names it.
    bad = c.spool(SCRIPT, extra={"tier": "nosuchtier"})
    assert bad.status == 400 and "nosuchtier" in bad.json()["msg"], bad
    bad = c.spool(SCRIPT, extra={"maxactive": "lots"})
    assert bad.status == 400 and "maxactive 'lots'" in bad.json()["msg"], bad


def check_an_empty_spool_says_the_script_is_empty_at_its_start(ctx):
    c = ctx.logged_in()
    for body in ["", "   \n\t"]:
        reply = c.spool(body)
        assert reply.status == 400 and "the script is empty" in reply.json()["msg"] and ":1:1" in reply.json()["msg"], (body, reply)


def check_every_verb_refuses_a_parameter_it_does_not_take_naming_it(ctx):
    c = ctx.logged_in()
    refusals = [
        ("ctrl", {"q": "status", "bogusparam": "1"}, "ctrl?q=status does not take bogusparam="),
        ("monitor", {"q": "jobs", "jid": "2"}, "monitor?q=jobs does not take jid="),
        ("monitor", {"q": "blades", "hnm": "x"}, "monitor?q=blades does not take hnm="),
        ("monitor", {"q": "jtree", "jid": "1", "tid": "1"}, "monitor?q=jtree does not take tid="),
        ("monitor", {"q": "loginscheme", "x": "1"}, "monitor?q=loginscheme does not take x="),
        ("queue", {"q": "jrestart", "jid": "1", "tsubset": "error"}, "queue?q=jrestart does not take tsubset="),
        ("queue", {"q": "jattr", "jid": "1", "set_priority": "3", "priorty": "3"}, "queue?q=jattr does not take priorty="),
        ("db", {"q": "tractorselect('job', '', 'jid', '', NULL, 'f', 'None')", "limit": "3"}, "db does not take limit="),
        ("config", {"file": "blade.config", "hnm": "x"}, "config does not take hnm="),
        ("ctrl", {"q": "reconfigure", "files": "limits.config"}, "ctrl?q=reconfigure does not take files="),
    ]
    for verb, params, named in refusals:
        reply = c.transaction(verb, params)
        assert reply.status == 400 and reply.json()["rc"] == 400 and named in reply.json()["msg"], (verb, params, reply)
    # monitor?q=jobs&jid= says where one job is.
    reply = c.transaction("monitor", {"q": "jobs", "jid": "2"})
    assert "jobdetails" in reply.json()["msg"], reply
    # In a form body too, and whatever the parameter's case.
    reply = c.transaction("ctrl", {"q": "status", "QLEN": "1"}, in_body=True)
    assert reply.status == 400 and reply.json()["msg"] == "ctrl?q=status: parameter names are read as Tractor's clients write them: qlen=, not QLEN=", reply
    # A name the query takes, in another case (Q= read as q=), is named as such, not as a parameter the query lacks.
    reply = c.transaction("monitor", {"Q": "jobs"})
    assert reply.status == 400 and "q=, not Q=" in reply.json()["msg"], reply
    # What Tractor's clients send is taken: user= (tq --user) on any call, tractor-spool --jdelete's hnm= and login=.
    assert c.transaction("ctrl", {"q": "status", "user": ctx.user}).status == 200
    gone = c.transaction("queue", {"q": "jretire", "jid": "987654321", "hnm": "farmhost", "login": ctx.user}, in_body=True)
    assert gone.status == 404, gone


def check_spool_directories_that_disagree_are_refused_whichever_pair(ctx):
    c = ctx.logged_in()
    def spool(query, headers):
        return c.raw("spool?tsid=" + c.tsid + query, body=SCRIPT, content_type="application/tractor-spool", crlf=False,
                     extra_headers=headers)
    for query, headers in [("&jobcwd=/e&cwd=/f", {}), ("&cwd=/e", {"X-Tractor-Dir": "/d"}), ("&jobcwd=/e", {"X-Tractor-Dir": "/d"})]:
        reply = spool(query, headers)
        assert reply.status == 400 and "give one of them" in reply.json()["msg"], (query, headers, reply)
    reply = spool("&cwd=/d", {"X-Tractor-Dir": "/d"})
    assert reply.status == 200, reply
    rows = c.native_rows("jobs", ["spoolcwd"], "jid=%d" % reply.json()["jid"])
    assert rows[0]["spoolcwd"] == "/d", rows


def check_the_dashboards_session_cookie_is_no_login_on_tractors_urls(ctx):
    # Tractor's URLs change the queue on a GET, where a browser session's CSRF token and Origin check cannot guard: a
    # page of the same site could fetch one as whoever has the Dashboard open. So they take no session cookie at all;
    # a tsid names the caller, whatever cookie comes with it.
    import urllib.request
    login = urllib.request.Request("http://%s:%d/api/v1/auth/login" % (ctx.host, ctx.port), method="POST",
                                   data=json.dumps({"user": ctx.user, "password": ctx.password, "cookie": True}).encode("utf-8"),
                                   headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(login) as r:
        cookies = [v.split(";", 1)[0] for k, v in r.headers.items() if k.lower() == "set-cookie"]
    session = [c for c in cookies if c.startswith("furrow-session=")]
    assert session, cookies
    c = ctx.logged_in()
    jid = c.spool(SCRIPT).json()["jid"]
    for method in ("GET", "POST"):
        r = c.raw("queue?q=jattr&jid=%d&set_comment=by-cookie" % jid, method=method, extra_headers={"Cookie": session[0]})
        assert r.status == 401 and "login" in r.json()["msg"], (method, r)
    comment = c.native_rows("jobs", ["comment"], "jid=%d" % jid)[0]["comment"]
    assert comment != "by-cookie", comment
    # With a tsid beside the cookie, the tsid says who calls.
    other = ctx.client()
    other.tsid = c.tsid
    status = other.raw("ctrl?q=status&tsid=%s" % c.tsid, method="GET", extra_headers={"Cookie": session[0]})
    assert status.status == 200 and status.json()["user"] == ctx.user, status


def _chunked_post(ctx, path, pieces):
    """POSTs a form body in HTTP/1.1 chunks (no Content-Length) and reads the reply to the close: (status, body)."""
    c = ctx.client()
    head = ("POST %s HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n\r\n" % (path, c.host, c.port)).encode("ascii")
    body = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"
    with socket.create_connection((c.host, c.port), timeout=60) as s:
        try:
            s.sendall(head + body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the engine may answer and close before the whole body is sent
        chunks = []
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    data = b"".join(chunks)
    head_bytes, _, rest = data.partition(b"\r\n\r\n")
    return int(head_bytes.split(b" ")[1]), rest
