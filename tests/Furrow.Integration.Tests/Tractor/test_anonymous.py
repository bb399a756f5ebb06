"""An engine that serves anonymous calls (RequireAuthentication false), as a Tractor site without passwords runs: no
password is asked for, and a call names its user with user=, jobOwner, the tsid it logged in with, or the TractorUser
cookie, in that order (TRACTOR-PROTOCOL §1, §2)."""

SCRIPT = """Job -title {anonymous site} -subtasks {
    Task {one} -cmds {
        RemoteCmd {/bin/true}
    }
}
"""


def check_scheme_asks_for_no_password_and_login_takes_just_a_user(ctx):
    c = ctx.client(user="alice")
    scheme = c.transaction("monitor", {"q": "loginscheme"}).json()
    assert not scheme["validation"].startswith("internal:"), scheme
    reply = c.login()
    assert reply.status == 200 and len(c.tsid) == 36, reply
    # The tsid names alice for calls that name no one else, whatever the cookie says.
    c.user = "cookie-user"
    status = c.transaction("ctrl", {"q": "status"}).json()
    assert status["rc"] == 0 and status["user"] == "alice", status


def check_spool_is_owned_by_job_owner(ctx):
    c = ctx.client(user="bob")
    reply = c.spool(SCRIPT, owner="carol")
    assert reply.status == 200, reply
    jid = reply.json()["jid"]
    status, jobs = c.native("GET", "/api/v1/jobs?q=jid=%d" % jid)
    assert status == 200 and jobs[0]["owner"] == "carol", (status, jobs)


def check_cookie_names_the_caller_without_a_tsid_and_an_ended_tsid_is_refused(ctx):
    c = ctx.client(user="dora")
    assert c.transaction("ctrl", {"q": "status"}).json()["user"] == "dora"
    c.user = "erin"
    c.login()
    c.user = "frank"
    assert c.transaction("ctrl", {"q": "status"}).json()["user"] == "erin"
    tsid = c.tsid
    assert c.logout().status == 200
    c.tsid = tsid
    # A tsid whose session ended is refused as on an engine that needs logins, so a client logs in again rather than
    # acting as nobody; so is one the engine never gave.
    ended = c.transaction("ctrl", {"q": "status"})
    assert ended.status == 401 and "unknown, ended or expired" in ended.json()["msg"], ended
    c.tsid = "00000000-0000-0000-0000-000000000000"
    assert c.transaction("queue", {"q": "jretire", "jid": "1"}).status == 401
    # Without a tsid, the cookie names the caller.
    c.tsid = None
    assert c.transaction("ctrl", {"q": "status"}).json()["user"] == "frank"


def check_a_bad_user_name_is_refused_naming_it(ctx):
    reply = ctx.client().transaction("monitor", {"q": "login", "user": "bad name\x01"})
    # Refused before any login is made: Tractor's clients read rc and msg, and a missing tsid as a failed login.
    assert reply.status == 400 and reply.json().get("tsid") is None and "bad user" in reply.json()["msg"], reply
