# tests/lib/burst.py - an accounting burst that signals the server midway.
#
#   burst.py HOST PORT SECRET COUNT WINDOW PREFIX PID SIGNAL KILL_AT OUT [GONE_WAIT]
#
# Sends COUNT Accounting-Request Starts (Acct-Session-Id PREFIX-NNNNN),
# WINDOW in flight, one attempt each; after KILL_AT acknowledgements it
# sends SIGNAL to PID.  Writes the Acct-Session-Id of every acknowledged
# request to OUT, one a line.  From the signal on it also watches PID
# (/proc: gone, or a zombie its parent has not reaped yet) and reports how
# long after the signal the process exited, waiting for that up to
# GONE_WAIT seconds (default 10) after its last request; -1 if it did
# not.  Prints one line:
#   sent N acked M exit_ms E
# Shared by tests/radius/t_accounting.sh and tests/stress/sigterm.sh
# (through acct_burst in tests/lib/radius.sh).
import hashlib, os, select, socket, struct, sys, time
host, port, secret = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode()
count, window, prefix = int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
pid, sig, kill_at, out = int(sys.argv[7]), int(sys.argv[8]), int(sys.argv[9]), sys.argv[10]
gone_wait = float(sys.argv[11]) if len(sys.argv) > 11 else 10.0

def attr(t, v): return bytes([t, len(v) + 2]) + v

def gone():
    """Whether PID has exited (no entry, or a zombie)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read()
    except OSError:
        return True
    return st[st.rindex(")") + 2:].startswith(("Z", "X"))

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect((host, port))
pending = {}    # id -> (session id, request authenticator)
acked, sent, last = [], 0, time.monotonic()
killed_at = exited_at = None
free_ids = list(range(256))
while sent < count or pending:
    while sent < count and len(pending) < window and free_ids:
        i = free_ids.pop(0); sid = "%s-%05d" % (prefix, sent); sent += 1
        a = (attr(40, struct.pack(">I", 1)) + attr(44, sid.encode()) +
             attr(4, socket.inet_aton("192.0.2.99")) +
             attr(8, socket.inet_aton("10.99.%d.%d" % (sent // 250, sent % 250 + 1))) +
             attr(55, struct.pack(">I", int(time.time()))))
        hdr = struct.pack(">BBH", 4, i, 20 + len(a))
        auth = hashlib.md5(hdr + b"\0" * 16 + a + secret).digest()
        try:
            s.send(hdr + auth + a)
        except OSError:
            pass                # the server is gone (ICMP unreachable)
        pending[i] = (sid, auth)
    if killed_at is not None and exited_at is None and gone():
        exited_at = time.monotonic()
    r, _, _ = select.select([s], [], [], 0.2 if killed_at is None else 0.01)
    if not r:
        if time.monotonic() - last > 3:
            break               # the server is gone: what is left is lost
        continue
    try:
        p = s.recv(4096)
    except OSError:
        if time.monotonic() - last > 3:
            break
        continue
    last = time.monotonic()
    if len(p) < 20 or p[0] != 5 or p[1] not in pending:
        continue
    sid, auth = pending[p[1]]
    if hashlib.md5(p[:4] + auth + p[20:] + secret).digest() != p[4:20]:
        continue
    del pending[p[1]]; free_ids.append(p[1]); acked.append(sid)
    if killed_at is None and len(acked) >= kill_at:
        os.kill(pid, sig); killed_at = time.monotonic()
with open(out, "w") as f:
    f.write("".join(x + "\n" for x in acked))
if killed_at is not None:
    until = time.monotonic() + gone_wait
    while exited_at is None and time.monotonic() < until:
        if gone():
            exited_at = time.monotonic()
        else:
            time.sleep(0.01)
exit_ms = -1 if exited_at is None else int((exited_at - killed_at) * 1000)
print("sent %d acked %d exit_ms %d" % (sent, len(acked), exit_ms))
