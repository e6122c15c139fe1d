# How RAMCloud itself is built: sourced by build.sh. This file, the tarballs and patches/*.patch
# are the key of the RAMCloud stage (<cache>/ramcloud-<rckey>), so editing the driver (build.sh:
# progress, locking, the plugin) does not rebuild RAMCloud; editing this file does.
#
# What RAMCloud is built with, and why:
# - only the three targets we run or link (coordinator, server, client library): no tests, apps,
#   benchmarks or static library;
# - no ZooKeeper (the coordinator keeps its state in memory: one coordinator per cluster here),
#   no Infiniband (libibverbs-dev is installed for DPDK, the makefile would probe and pick it),
#   no DPDK;
# - ARCH=x86-64-v2 rather than native: the cache may be copied between machines of this kind;
# - -O2 without -g instead of the default -O3 -g: compiles faster, far smaller objects, and
#   nothing here measures RAMCloud's own speed on 2 shared cores (docs/ramcloud.md);
# - warnings off (CXXWARNS/CWARNS empty) and -Werror dropped: g++ 12 warns where the fork's
#   compiler did not, and a warning changes no code; OBJDIR pinned (the makefile names it
#   after the git branch when it finds a checkout around it).
MAKE_VARS=(ZOOKEEPER=no INFINIBAND=no DPDK=no ARCH=x86-64-v2 OBJDIR=obj
           BASECFLAGS= OPTFLAG=-O2 CXXWARNS= CWARNS= PYTHON=python3)
MAKE_TARGETS=(obj/coordinator obj/server obj/libramcloud.so)

# prepare_tree <dir> <source dir> <patch dir>: <dir>/ramcloud ready for make.
prepare_tree() {
  local tmp=$1 src=$2 patches=$3 p
  tar -xzf "$src/$RC_TARBALL" -C "$tmp"
  [ -d "$tmp/ramcloud/src" ] || die "$RC_TARBALL does not hold ramcloud/src"
  # the gtest tarball is the fork's submodule, stored either as ramcloud/gtest/... or as one
  # top directory of its own
  tar -tzf "$src/$GTEST_TARBALL" >"$tmp/.gtest-files"
  if grep -q '^ramcloud/gtest/' "$tmp/.gtest-files"; then
    tar -xzf "$src/$GTEST_TARBALL" -C "$tmp"
  else
    mkdir -p "$tmp/ramcloud/gtest"
    tar -xzf "$src/$GTEST_TARBALL" -C "$tmp/ramcloud/gtest" --strip-components=1
  fi
  [ -f "$tmp/ramcloud/gtest/include/gtest/gtest.h" ] || die "$GTEST_TARBALL does not hold include/gtest/gtest.h"
  for p in "$patches"/*.patch; do
    [ -e "$p" ] || continue
    patch -d "$tmp/ramcloud" -p1 -s --no-backup-if-mismatch <"$p" || die "patch $(basename "$p") does not apply"
  done
  sed -i -E 's/^(C(XX)?FLAGS := \$\(C(XX)?FLAGS_BASE\)) -Werror /\1 /' "$tmp/ramcloud/GNUmakefile"
  if grep -qE '^C(XX)?FLAGS := .*-Werror' "$tmp/ramcloud/GNUmakefile"; then
    die "could not drop -Werror from the fork's GNUmakefile"
  fi
}
