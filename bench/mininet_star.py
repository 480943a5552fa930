"""One Mininet run for bench/bench.ts: what `mn --switch lxbr|ovsbr,datapath=user --controller none
--topo single,N --test none` does (build, start, stop), through Mininet's API so that every name
starts with bx- and Mininet's broad clean-up (`mn -c`, run by `mn` after an error) never runs;
plus one ping from the first host to the last, as the other contenders do.

    /usr/bin/python3 bench/mininet_star.py N linux|ovs

For ovs, a private ovsdb-server/ovs-vswitchd runs in a temporary OVS_RUNDIR (bench.ts runs this
under `unshare --net`, so its ovs-netdev tap collides with no other OVS) and is stopped at the end.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

from mininet.log import setLogLevel
from mininet.net import Mininet
from mininet.node import OVSBridge
from mininet.nodelib import LinuxBridge
from mininet.topo import Topo


class BxStar(Topo):
    "single,N with bx- names"

    def build(self, n=2):
        switch = self.addSwitch("bx-m1", dpid="1")
        for i in range(1, n + 1):
            self.addLink(self.addHost("bxm%d" % i), switch)


def start_ovs(run):
    db = "unix:%s/db.sock" % run
    subprocess.run(["ovsdb-tool", "create", run + "/conf.db",
                    "/usr/share/openvswitch/vswitch.ovsschema"], check=True)
    subprocess.run(["ovsdb-server", run + "/conf.db", "--remote=punix:%s/db.sock" % run,
                    "--pidfile=%s/ovsdb-server.pid" % run, "--unixctl=%s/ovsdb-server.ctl" % run,
                    "--log-file=%s/ovsdb-server.log" % run, "--detach"], check=True,
                   stderr=subprocess.DEVNULL)
    subprocess.run(["ovs-vsctl", "--db=" + db, "--no-wait", "init"], check=True)
    subprocess.run(["ovs-vswitchd", db, "--pidfile=%s/ovs-vswitchd.pid" % run,
                    "--unixctl=%s/ovs-vswitchd.ctl" % run, "--log-file=%s/ovs-vswitchd.log" % run,
                    "--detach"], check=True, stderr=subprocess.DEVNULL)


def stop_ovs(run):
    for daemon in ("ovs-vswitchd", "ovsdb-server"):
        pidfile = "%s/%s.pid" % (run, daemon)
        if not os.path.exists(pidfile):
            continue
        pid = int(open(pidfile).read().strip())
        subprocess.run(["ovs-appctl", "-t", "%s/%s.ctl" % (run, daemon), "exit"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(50):
            if not os.path.exists("/proc/%d" % pid):
                break
            time.sleep(0.02)
        else:
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass
    shutil.rmtree(run, ignore_errors=True)


def main():
    n = int(sys.argv[1])
    kind = sys.argv[2] if len(sys.argv) > 2 else "linux"
    setLogLevel("error")
    run = None
    if kind == "ovs":
        run = tempfile.mkdtemp(prefix="bx-mnovs.")
        os.environ["OVS_RUNDIR"] = run
    net = None
    ok = False
    try:
        if run:
            start_ovs(run)
        switch = LinuxBridge if kind == "linux" else (
            lambda name, **kw: OVSBridge(name, datapath="user", **kw))
        net = Mininet(topo=BxStar(n=n), switch=switch, controller=None, build=True)
        net.start()
        first, last = net.hosts[0], net.hosts[-1]
        for _ in range(10):
            out = first.cmd("ping -c1 -W1 -q %s" % last.IP())
            if " 0% packet loss" in out:
                ok = True
                break
    finally:
        if net is not None:
            net.stop()
        if run:
            stop_ovs(run)
    print('{"pinged": %s}' % ("true" if ok else "false"))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
