"""Tractor job-script idioms spooled through Tractor's URLs and run by a real blade (TRACTOR-PROTOCOL §8)."""

import os
import tempfile
import time


def wait_done(client, jid, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        status, jobs = client.native("GET", "/api/v1/jobs?q=jid=%d" % jid)
        if status == 200 and jobs and jobs[0]["numDone"] == jobs[0]["numTasks"]:
            return jobs[0]
        time.sleep(0.2)
    raise AssertionError("job %d not done in %d s: %r" % (jid, seconds, jobs))


def check_an_alfred_commands_file_delete_message_deletes_the_file(ctx):
    c = ctx.logged_in()
    victim = tempfile.NamedTemporaryFile(prefix="furrow-alfred-", delete=False)
    victim.close()
    script = """Job -title {alfred cleanup} -subtasks {
    Task {render} -cmds {
        RemoteCmd {/bin/true}
    } -cleanup {
        RemoteCmd {Alfred} -msg {File delete "%s"}
    }
}
""" % victim.name
    reply = c.spool(script)
    assert reply.status == 200, reply
    wait_done(c, reply.json()["jid"])
    assert not os.path.exists(victim.name), "the Alfred command's File delete left %s" % victim.name


def check_an_alfred_commands_other_tcl_is_refused_naming_line_and_column(ctx):
    c = ctx.logged_in()
    reply = c.spool("Job -title {x} -subtasks {\n  Task {a} -cmds {\n    RemoteCmd {Alfred} -msg {exec rm -rf /}\n  }\n}\n", filename="alfred.alf")
    assert reply.status == 400 and "alfred.alf:3:29" in reply.json()["msg"] and "File delete" in reply.json()["msg"], reply
