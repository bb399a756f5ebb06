"""The dashboard's queries (§5, and §4d's tasklogs/taskdetails): monitor?q=blades, jobs, jobdetails, jtree, taskdetails,
tasklogs, each checked against the native API after a job with serial subtasks, an Instance, a command that prints
and one that fails has run on the blade `tractorblade`."""

import time
import urllib.request

from tractor_client import urlopen_get

SCRIPT = """##AlfredToDo 3.0
Job -title {monitor shapes} -serialsubtasks 1 -subtasks {
    Task {frames} -serialsubtasks 1 -subtasks {
        Task {frame one} -id f1 -cmds {
            RemoteCmd {/bin/echo hello-from-frame-one}
        }
        Task {frame two} -cmds {
            RemoteCmd {/bin/echo two}
        }
    }
    Task {comp} -subtasks {
        Instance {f1}
    } -cmds {
        RemoteCmd {/bin/false}
    }
}
"""

_ran = {}


def ran_job(ctx):
    """The job above, spooled once and run to its end: every task done but comp, whose command fails."""
    if "jid" in _ran:
        return _ran["jid"]
    c = ctx.logged_in()
    reply = c.spool(SCRIPT, filename="/shots/monitor.alf", cwd="/shots/monitor")
    assert reply.status == 200, reply
    jid = reply.json()["jid"]
    deadline = time.time() + 120
    while True:
        tasks = tasks_of(c, jid)
        states = {t["title"]: t["state"] for t in tasks}
        if states.get("comp") == "error" and all(s == "done" for title, s in states.items() if title != "comp"):
            break
        # Not a timed assertion: the job's end is waited for, and a job that never ends fails the run's own limit.
        assert time.time() < deadline, "the job did not finish: %r" % states
        time.sleep(0.3)
    _ran["jid"] = jid
    return jid


def tasks_of(c, jid):
    status, tasks = c.native("GET", "/api/v1/tasks?jid=%d&limit=0" % jid)
    assert status == 200, (status, tasks)
    return tasks


def native_bytes(c, path):
    request = urllib.request.Request("http://%s:%d%s" % (c.host, c.port, path))
    request.add_header("Authorization", "Bearer " + c.tsid)
    with urllib.request.urlopen(request, timeout=60) as r:
        return r.read()


BLADE_KEYS = {"hnm", "addr", "profile", "nimby", "as", "ns", "siu", "numcmd", "owners", "provides", "note", "t", "t0", "lp", "mem",
              "disk", "ncpu", "cpu", "udi", "vers", "osname", "osversion", "gpulabel", "bladeid"}


def check_blades_rows_have_tractors_keys_and_the_native_values(ctx):
    ran_job(ctx)
    c = ctx.logged_in()
    status, before = c.native("GET", "/api/v1/blades")
    reply = c.transaction("monitor", {"q": "blades"})
    status, after = c.native("GET", "/api/v1/blades")
    assert reply.status == 200, reply
    rows = {b["hnm"]: b for b in reply.json()["blades"]}
    assert "tractorblade" in rows, rows
    row = rows["tractorblade"]
    assert set(row) == BLADE_KEYS, sorted(set(row) ^ BLADE_KEYS)
    first = next(b for b in before if b["name"] == "tractorblade")
    native = next(b for b in after if b["name"] == "tractorblade")
    # addr is the address the engine saw the blade register from (this one runs beside it), not the name it gave itself.
    assert row["addr"] == native["address"] == "127.0.0.1" and row["vers"] == native["version"], (row, native)
    assert row["ns"] == native["slots"] and row["siu"] == native["slotsInUse"] == 0, (row, native)
    # The blade reports while this runs: its contact time lies between the two native reads.
    assert first["lastContact"] // 1000 <= row["t"] <= native["lastContact"] // 1000, (row, first, native)
    assert row["t0"] == native["registeredTime"] // 1000, (row, native)
    assert row["nimby"] == "" and row["as"] == native["slots"] and row["note"] == "", row
    figures = native["figures"]
    assert row["ncpu"] == figures["cores"] and row["osname"] == figures["platform"] and row["osversion"] == figures["osInfo"], (row, native)
    assert 0 < row["mem"] <= figures["memoryGB"] and row["disk"] > 0, (row, native)
    # Nothing runs there once the job ended: no commands, no owners.
    assert row["numcmd"] == 0 and row["owners"] is None, row
    assert row["lp"] is None and row["provides"] is None and row["gpulabel"] == "", row


def check_blades_by_a_plain_get(ctx):
    c = ctx.logged_in()
    reply = urlopen_get(ctx.host, ctx.port, "monitor?q=blades&tsid=" + c.tsid)
    assert reply.status == 200, reply
    assert any(b["hnm"] == "tractorblade" for b in reply.json()["blades"]), reply


def check_dashboard_queries_need_a_login(ctx):
    for params in ({"q": "blades"}, {"q": "jobs"}, {"q": "jtree", "jid": "1"}):
        reply = ctx.client().transaction("monitor", params)
        assert reply.status == 401 and "login" in reply.json()["msg"], reply


JOBINFO_KEYS = {"cwd", "envkey", "jid", "jtimes", "elapsedTaskSecs", "estTotalTaskSecs", "maxSlots", "minSlots", "metadata",
                "maxActive", "priority", "paused", "sourcefile", "spooladdr", "spooldate", "spoolhost", "tid", "title", "user",
                "tags", "service", "projects", "tier", "comment", "crews", "serialsubtasks", "dirmaps", "afterTime",
                "afterJids", "state", "tdh", "nTasks"}


def assert_jobinfo(c, ctx, jid, data):
    assert set(data) == JOBINFO_KEYS, sorted(set(data) ^ JOBINFO_KEYS)
    native = c.native_rows("jobs", ["title", "priority", "spooltime", "starttime", "numtasks", "numactive", "numdone", "numerror",
                                    "spoolcwd", "spoolfile", "spoolhost", "serialsubtasks"], "jid=%d" % jid)[0]
    assert data["jid"] == jid and data["user"] == ctx.user and data["title"] == native["title"], data
    assert data["priority"] == native["priority"] and data["paused"] == 0, data
    assert data["cwd"] == "/shots/monitor" == native["spoolcwd"] and data["sourcefile"] == native["spoolfile"], data
    assert data["spoolhost"] == native["spoolhost"] == "testhost", data
    assert data["jtimes"][1:3] == [native["spooltime"] // 1000, native["starttime"] // 1000], (data, native)
    assert data["nTasks"] == [native["numtasks"], native["numactive"], native["numdone"], native["numerror"]], (data, native)
    assert data["serialsubtasks"] is True and native["serialsubtasks"] is True, data
    assert data["state"] == "-B" and data["tid"] == 0 and data["tdh"] == [], data
    assert len(data["spooldate"]) == 19, data


def check_jobs_lists_the_job_under_its_owner(ctx):
    jid = ran_job(ctx)
    c = ctx.logged_in()
    reply = c.transaction("monitor", {"q": "jobs"})
    assert reply.status == 200, reply
    users = reply.json()["users"]
    assert_jobinfo(c, ctx, jid, users[ctx.user][str(jid)]["data"])


def check_jobdetails_gives_the_same_row(ctx):
    jid = ran_job(ctx)
    c = ctx.logged_in()
    reply = c.transaction("monitor", {"q": "jobdetails", "jid": str(jid)})
    assert reply.status == 200, reply
    assert list(reply.json()["users"][ctx.user]) == [str(jid)], reply
    assert_jobinfo(c, ctx, jid, reply.json()["users"][ctx.user][str(jid)]["data"])
    graph = c.transaction("monitor", {"q": "jobdetails", "jid": str(jid), "graph": "1"})
    assert graph.status == 501 and "graph=1" in graph.json()["msg"], graph
    # graph, notes and flat are switches by the one rule: off in any spelling is answered, anything else is no switch.
    for off in ("0", "false", "NO"):
        flat = c.transaction("monitor", {"q": "jobdetails", "jid": str(jid), "flat": off})
        assert flat.status == 200, (off, flat)
    for bad in ("", "maybe"):
        flat = c.transaction("monitor", {"q": "jobdetails", "jid": str(jid), "flat": bad})
        assert flat.status == 400 and ("bad flat '%s'" % bad) in flat.json()["msg"], (bad, flat)


def check_jtree_nests_tasks_and_lists_an_instance_as_ants(ctx):
    jid = ran_job(ctx)
    c = ctx.logged_in()
    reply = c.transaction("monitor", {"q": "jtree", "jid": str(jid)})
    assert reply.status == 200, reply
    job = reply.json()["users"][ctx.user]["J%d" % jid]
    assert_jobinfo(c, ctx, jid, job["data"])
    native = {t["tid"]: t for t in tasks_of(c, jid)}
    by_title = {t["title"]: t["tid"] for t in native.values()}
    commands = c.native_rows("commands", ["tid", "cid"], "jid=%d" % jid)
    roots = job["children"]
    assert [n["data"]["title"] for n in roots] == ["frames", "comp"], roots
    frames, comp = roots
    assert [n["data"]["title"] for n in frames["children"]] == ["frame one", "frame two"], frames
    # The Instance is no node of its own: frame one stays under frames, and comp names it in its ants.
    assert comp["children"] == [] and comp["data"]["ants"] == [by_title["frame one"]], comp
    one = frames["children"][0]
    assert one["#"] == "T%d" % by_title["frame one"] and one["data"]["tid"] == by_title["frame one"], one
    assert one["data"]["state"] == "+D" and one["data"]["id"] == "f1", one
    assert one["data"]["cids"] == [x["cid"] for x in commands if x["tid"] == by_title["frame one"]], (one, commands)
    assert comp["data"]["state"] == "+E", comp
    assert frames["data"]["state"] == "-D" and frames["data"]["serialsubtasks"] == 1 and frames["data"]["cids"] == [], frames
    for node in (one, comp, frames):
        tid = node["data"]["tid"]
        assert node["data"]["statetime"] == native[tid]["stateTime"] // 1000, (node, native[tid])


def check_taskdetails_gives_each_command_and_its_run(ctx):
    jid = ran_job(ctx)
    c = ctx.logged_in()
    tids = {t["title"]: t["tid"] for t in tasks_of(c, jid)}
    keys = {"argv", "cid", "service", "type", "tags", "envkey", "blades", "state", "exitcode", "t0", "t1", "elapsedapp",
            "elapsedsys", "rss", "vsz", "cpu"}
    reply = c.transaction("monitor", {"q": "taskdetails", "jid": str(jid), "tid": str(tids["frame one"])})
    assert reply.status == 200, reply
    [cmd] = reply.json()["cmds"]
    assert keys <= set(cmd), sorted(keys - set(cmd))
    run = c.native_rows("invocations", ["cid", "blade", "rcode", "starttime", "stoptime"],
                        "jid=%d and tid=%d" % (jid, tids["frame one"]))[-1]
    assert cmd["argv"] == ["/bin/echo", "hello-from-frame-one"] and cmd["cid"] == run["cid"], (cmd, run)
    assert cmd["type"] == "RC" and cmd["state"] == "Done" and cmd["exitcode"] == "0", cmd
    assert cmd["blades"] == ["tractorblade"] == [run["blade"]], cmd
    assert cmd["t0"] == run["starttime"] // 1000 and cmd["t1"] == run["stoptime"] // 1000, (cmd, run)
    failed = c.transaction("monitor", {"q": "taskdetails", "jid": str(jid), "tid": str(tids["comp"])}).json()["cmds"]
    assert [(x["argv"], x["state"], x["exitcode"]) for x in failed] == [(["/bin/false"], "Error", "1")], failed


def check_tasklogs_redirect_gets_the_log(ctx):
    jid = ran_job(ctx)
    c = ctx.logged_in()
    tids = {t["title"]: t["tid"] for t in tasks_of(c, jid)}
    tid = tids["frame one"]
    reply = c.transaction("monitor", {"q": "tasklogs", "jid": str(jid), "tid": str(tid), "owner": ctx.user})
    assert reply.status == 200, reply
    [entry] = reply.json()["LoggingRedirect"]
    assert entry.startswith("/"), entry
    # Tractor's client GETs the entry as it is, after http://host:port, adding nothing.
    with urllib.request.urlopen("http://%s:%d%s" % (ctx.host, ctx.port, entry), timeout=60) as r:
        log = r.read()
    assert b"hello-from-frame-one" in log, log
    assert log == native_bytes(c, "/api/v1/jobs/%d/tasks/%d/log" % (jid, tid)), log
    # owner= only says where to look first: another name there does not hide the log (it said "has not run yet").
    other = c.transaction("monitor", {"q": "tasklog", "jid": str(jid), "tid": str(tid), "owner": "someone-else"})
    assert other.status == 200 and b"hello-from-frame-one" in other.body, other


def check_unknown_task_and_bad_ids_are_named(ctx):
    jid = ran_job(ctx)
    c = ctx.logged_in()
    missing = c.transaction("monitor", {"q": "tasklogs", "jid": str(jid), "tid": "999"})
    assert missing.status == 404 and "999" in missing.json()["msg"], missing
    details = c.transaction("monitor", {"q": "taskdetails", "jid": str(jid), "tid": "999"})
    assert details.status == 404 and "999" in details.json()["msg"], details
    nojob = c.transaction("monitor", {"q": "jtree", "jid": "987654"})
    assert nojob.status == 404 and "987654" in nojob.json()["msg"], nojob
    bad = c.transaction("monitor", {"q": "taskdetails", "jid": "abc", "tid": "1"})
    assert bad.status == 400 and "jid" in bad.json()["msg"] and "abc" in bad.json()["msg"], bad
    # The message reads as written in the raw body too, as Tractor's engine writes it: a script that greps a reply, or a
    # wrangler reading one with curl, sees 'abc', not \u0027abc\u0027.
    assert b"'abc'" in bad.body, bad
    absent = c.transaction("monitor", {"q": "jtree"})
    assert absent.status == 400 and "jid=" in absent.json()["msg"], absent


def check_filters_subscribe_and_unknown_queries_are_refused_by_name(ctx):
    c = ctx.logged_in()
    for q in ("jobs", "blades"):
        reply = c.transaction("monitor", {"q": q, "filter": "mine.joblist"})
        assert reply.status == 501 and "filter=mine.joblist" in reply.json()["msg"], reply
    subscribe = c.transaction("monitor", {"q": "subscribe", "jids": "0"})
    assert subscribe.status == 501 and "subscribe" in subscribe.json()["msg"], subscribe
    unknown = c.transaction("monitor", {"q": "nosuchquery"})
    msg = unknown.json()["msg"]
    assert unknown.status == 501 and "nosuchquery" in msg and "q=jtree" in msg and "q=taskdetails" in msg, unknown


def check_jtree_lists_the_job_cleanup_task_at_the_top_without_ants(ctx):
    """The task Furrow adds for a job's postscript waits for the top tasks without being their Instance: the tree has it
    at the top with no ants, and the top tasks' only parent is the job."""
    c = ctx.logged_in()
    reply = c.spool("Job -title {cleaned} -paused 1 -whenerror {/bin/true} -postscript { RemoteCmd {/bin/true} }"
                    " -subtasks {\n Task {a} -cmds { RemoteCmd {/bin/true} }\n Task {b} -cmds { RemoteCmd {/bin/true} }\n}\n")
    assert reply.status == 200, reply
    jid = reply.json()["jid"]
    tree = c.transaction("monitor", {"q": "jtree", "jid": str(jid)})
    assert tree.status == 200, tree
    roots = tree.json()["users"][ctx.user]["J%d" % jid]["children"]
    assert [n["data"]["title"] for n in roots] == ["a", "b", "job cleanup"], roots
    assert all("ants" not in n["data"] and n["children"] == [] for n in roots), roots
    ptids = c.select("task", "jid=%d" % jid, ["tid", "ptids"], sortby=["tid"])
    assert ptids.status == 200, ptids
    assert [t["ptids"] for t in ptids.json()["rows"]] == [[0], [0], [0]], ptids.json()


def check_jtree_of_a_large_job_lists_every_task_once(ctx):
    c = ctx.logged_in()
    frames = "\n".join("        Task {frame %d} -cmds { RemoteCmd {/bin/echo %d} }" % (i, i) for i in range(1, 10001))
    script = "Job -title {ten thousand} -paused 1 -subtasks {\n    Task {all frames} -subtasks {\n%s\n    }\n}\n" % frames
    reply = c.spool(script)
    assert reply.status == 200, reply
    jid = reply.json()["jid"]
    tree = c.transaction("monitor", {"q": "jtree", "jid": str(jid)})
    assert tree.status == 200, tree
    [top] = tree.json()["users"][ctx.user]["J%d" % jid]["children"]
    children = top["children"]
    assert len(children) == 10000 and top["data"]["cids"] == [], len(children)
    assert [n["data"]["title"] for n in children[:2]] == ["frame 1", "frame 2"], children[:2]
    assert len({n["data"]["cids"][0] for n in children}) == 10000, "every frame has its own command"
    assert all(n["data"]["state"] == "-B" for n in children), [n for n in children if n["data"]["state"] != "-B"][:3]


def check_blades_show_a_running_command_and_its_owner(ctx):
    ran_job(ctx)
    c = ctx.logged_in()
    reply = c.spool("Job -title {sleeper} -subtasks {\n    Task {sleep} -cmds { RemoteCmd {/bin/sleep 120} }\n}\n")
    assert reply.status == 200, reply
    jid = reply.json()["jid"]
    try:
        while tasks_of(c, jid)[0]["state"] != "active":
            time.sleep(0.2)
        row = {b["hnm"]: b for b in c.transaction("monitor", {"q": "blades"}).json()["blades"]}["tractorblade"]
        runs = c.native_rows("invocations", ["blade", "owner"], "jid=%d and current and not stoptime" % jid)
        assert runs == [{"blade": "tractorblade", "owner": ctx.user}], runs
        assert row["numcmd"] == 1 and row["owners"] == [ctx.user] and row["siu"] == 1 and row["as"] == row["ns"] - 1, row
    finally:
        status, done = c.native("POST", "/api/v1/operations/interrupt?q=jid=%d" % jid)
        assert status == 200, (status, done)
