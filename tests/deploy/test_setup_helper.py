#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""deploy/hookpath-setup (issue 16) on a model of sysfs: two NUMA nodes with 2 MB hugepages,
three NICs (one bound to a kernel driver with its interface down, one up, one already on
vfio-pci). No NIC and no spare memory on this machine, so a thread plays the kernel: it
applies the unbind and drivers_probe writes to the driver links the way the kernel does.

- /etc/default/hookpath style input: -a devices bound, --socket-mem turned into pages per
  node (plus the margin); --dry-run changes nothing and lists what it would do; a second run
  has nothing to do (idempotent); pages in use are never lowered;
- a device whose interface is up is refused without --force; one without an IOMMU group is
  refused for vfio-pci; an unknown device or node is bad input (exit 2);
- the kernel keeping fewer pages than asked (here none: the count written is not kept) is
  an error naming the node;
- Debian's /etc/dpdk/dpdk.conf and /etc/dpdk/interfaces as input."""
import os
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL = os.path.join(HERE, "..", "..", "deploy", "hookpath-setup")
DEVS = {"0000:03:00.0": ("ixgbe", "ens3f0", "down", True),
        "0000:03:00.1": ("ixgbe", "ens3f1", "up", True),
        "0000:04:00.0": ("vfio-pci", None, None, True),
        "0000:05:00.0": ("ixgbe", "ens5", "down", False)}


class KernelModel(threading.Thread):
    """Applies writes the way the kernel would: unbind drops the driver link, drivers_probe
    links the device to its driver_override."""

    def __init__(self, root):
        super().__init__(daemon=True)
        self.root, self.stop = root, False

    def p(self, *parts):
        return os.path.join(self.root, *parts)

    @staticmethod
    def get(path):
        with open(path) as f:
            return f.read().strip()

    def run(self):
        while not self.stop:
            drivers = self.p("sys/bus/pci/drivers")
            for drv in os.listdir(drivers):
                unbind = os.path.join(drivers, drv, "unbind")
                addr = self.get(unbind)
                if addr:
                    link = self.p("sys/bus/pci/devices", addr, "driver")
                    if os.path.islink(link):
                        os.unlink(link)
                    open(unbind, "w").close()
            probe = self.p("sys/bus/pci/drivers_probe")
            addr = self.get(probe)
            if addr:
                over = self.get(self.p("sys/bus/pci/devices", addr, "driver_override"))
                link = self.p("sys/bus/pci/devices", addr, "driver")
                if over and not os.path.islink(link):
                    os.symlink("../../drivers/" + over, link)
                open(probe, "w").close()
            time.sleep(0.002)


class SetupHelper(unittest.TestCase):
    def setUp(self):
        self.tmpdir = tempfile.TemporaryDirectory(prefix="hp-setup-")
        self.root = self.tmpdir.name
        for node, pages in ((0, 128), (1, 0)):
            d = self.p("sys/devices/system/node/node%d/hugepages/hugepages-2048kB" % node)
            os.makedirs(d)
            self.put(os.path.join(d, "nr_hugepages"), str(pages))
        for drv in ("ixgbe", "vfio-pci"):
            os.makedirs(self.p("sys/bus/pci/drivers", drv))
            self.put(self.p("sys/bus/pci/drivers", drv, "unbind"), "")
        self.put(self.p("sys/bus/pci/drivers_probe"), "")
        for addr, (drv, ifc, state, iommu) in DEVS.items():
            d = self.p("sys/bus/pci/devices", addr)
            os.makedirs(d)
            self.put(os.path.join(d, "driver_override"), "")
            os.symlink("../../drivers/" + drv, os.path.join(d, "driver"))
            if iommu:
                os.makedirs(os.path.join(d, "iommu_group"))
            if ifc:
                os.makedirs(os.path.join(d, "net", ifc))
                self.put(os.path.join(d, "net", ifc, "operstate"), state)
        os.makedirs(self.p("proc"))
        self.put(self.p("proc", "mounts"), "nodev /dev/hugepages hugetlbfs rw 0 0\n")
        self.kernel = None

    def tearDown(self):
        if self.kernel:
            self.kernel.stop = True
            self.kernel.join()
        self.tmpdir.cleanup()

    def p(self, *parts):
        return os.path.join(self.root, *parts)

    def put(self, path, text):
        with open(path, "w") as f:
            f.write(text)

    def get(self, *parts):
        with open(self.p(*parts)) as f:
            return f.read().strip()

    def driver(self, addr):
        return os.path.basename(os.readlink(self.p("sys/bus/pci/devices", addr, "driver")))

    def pages(self, node):
        return int(self.get("sys/devices/system/node/node%d/hugepages/hugepages-2048kB/"
                            "nr_hugepages" % node))

    def defaults(self, text):
        path = self.p("default-hookpath")
        self.put(path, text)
        return ["--defaults", path]

    def run_tool(self, *args):
        if self.kernel is None:
            self.kernel = KernelModel(self.root)
            self.kernel.start()
        return subprocess.run([sys.executable, TOOL, "--sysfs", self.root, "--proc",
                               self.p("proc")] + list(args), capture_output=True, text=True,
                              timeout=60)

    def test_defaults_dry_run_then_apply_then_nothing(self):
        args = self.defaults('# EAL options for hookpath.service\n'
                             'HOOKPATH_EAL="-l 0-3 -a 0000:03:00.0 -a 04:00.0 '
                             '--socket-mem 1024,512"\nHOOKPATH_HUGEPAGE_MARGIN_MB=0\n')
        r = self.run_tool("--dry-run", *args)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("would node 0: hugepages of 2048 kB 128 -> 512", r.stdout)
        self.assertIn("would node 1: hugepages of 2048 kB 0 -> 256", r.stdout)
        self.assertIn("would 0000:03:00.0: unbind from ixgbe", r.stdout)
        self.assertIn("0000:04:00.0: bound to vfio-pci: ok", r.stdout)
        self.assertIn("dry run: 5 change(s) not made", r.stdout)
        self.assertEqual((self.pages(0), self.pages(1)), (128, 0))
        self.assertEqual(self.driver("0000:03:00.0"), "ixgbe")
        r = self.run_tool(*args)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual((self.pages(0), self.pages(1)), (512, 256))
        self.assertEqual(self.driver("0000:03:00.0"), "vfio-pci")
        self.assertEqual(self.get("sys/bus/pci/devices/0000:03:00.0/driver_override"),
                         "vfio-pci")
        r = self.run_tool(*args)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("nothing to do", r.stdout)
        # pages in use are not given back: a smaller request leaves them
        r = self.run_tool(*self.defaults('HOOKPATH_HUGEPAGES="0:64"\n'))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.pages(0), 512)

    def test_margin_and_minus_m(self):
        r = self.run_tool(*self.defaults('HOOKPATH_EAL="-l 0-1 -m 1024"\n'))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual((self.pages(0), self.pages(1)), ((1024 + 256) // 2, 0))

    def test_refusals(self):
        r = self.run_tool(*self.defaults('HOOKPATH_EAL="-a 0000:03:00.1"\n'))
        self.assertEqual(r.returncode, 1)
        self.assertIn("0000:03:00.1: its interface ens3f1 is up", r.stderr)
        self.assertEqual(self.driver("0000:03:00.1"), "ixgbe")
        r = self.run_tool("--force", *self.defaults('HOOKPATH_EAL="-a 0000:03:00.1"\n'))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.driver("0000:03:00.1"), "vfio-pci")
        r = self.run_tool(*self.defaults('HOOKPATH_EAL="-a 0000:05:00.0"\n'))
        self.assertEqual(r.returncode, 1)
        self.assertIn("0000:05:00.0: no IOMMU group", r.stderr)
        r = self.run_tool(*self.defaults('HOOKPATH_EAL="-a 0000:09:00.0"\n'))
        self.assertEqual(r.returncode, 1)
        self.assertIn("0000:09:00.0: no such PCI device", r.stderr)
        r = self.run_tool(*self.defaults('HOOKPATH_HUGEPAGES="2:64"\n'))
        self.assertEqual(r.returncode, 2)
        self.assertIn("NUMA node 2 does not exist", r.stderr)
        r = self.run_tool(*self.defaults('HOOKPATH_EAL="-a eth0"\n'))
        self.assertEqual(r.returncode, 2)
        self.assertIn("'eth0' is not a PCI address", r.stderr)

    def test_kernel_gives_fewer(self):
        # node 1's memory is all taken: the count written is not kept (the kernel writes
        # back what it could reserve; here nothing)
        f = self.p("sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages")
        os.unlink(f)
        os.symlink("/dev/null", f)
        r = self.run_tool(*self.defaults('HOOKPATH_HUGEPAGES="1:1000"\n'))
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("node 1: the kernel gave 0 hugepages of 2048 kB, not 1000", r.stderr)

    def test_debian_dpdk_files(self):
        conf, ifs = self.p("dpdk.conf"), self.p("interfaces")
        self.put(conf, "# Debian dpdk.conf\nNR_2M_PAGES=1000\n")
        self.put(ifs, "# <bus> <id> <driver>\npci 0000:03:00.0 vfio-pci\n")
        r = self.run_tool("--dpdk-conf", conf, "--dpdk-interfaces", ifs)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual((self.pages(0), self.pages(1)), (500, 500))
        self.assertEqual(self.driver("0000:03:00.0"), "vfio-pci")

    def test_real_system_dry_run(self):
        # this machine as it is: no NIC listed, nothing asked, nothing changed
        path = self.p("empty-default")
        self.put(path, "HOOKPATH_EAL=\"-l 0-1 --no-huge -m 512\"\nHOOKPATH_HUGEPAGES=\n")
        r = subprocess.run([sys.executable, TOOL, "--dry-run", "--defaults", path],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
