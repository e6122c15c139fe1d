#!/bin/bash
# Builds the StatelessNF VM image: a Debian 12 root filesystem from Debian's mirror (mmdebstrap),
# the staged application in /opt/statelessnf, laid out as a BIOS-bootable disk that Glance and
# Nova take as it is (MBR: p1 FAT16 /boot with SYSLINUX, p2 ext4 root), written without loop
# devices or mounts (sfdisk on a file, mkfs.fat --offset + mcopy, mkfs.ext4 -d, dd), so it runs
# in a container or on a CI machine without /dev/loop*.
#
# Called by `snf image build` (src/image/build.ts), which stages the application, computes the
# input hash and writes the facts file. Environment:
#   SNF_IMAGE_APP   staged application directory (copied to /opt/statelessnf)
#   SNF_IMAGE_OUT   output directory (created; must not exist): <name>.qcow2, rootfs.tar,
#                   vmlinuz, initrd.img
#   SNF_IMAGE_NAME  image name (file <name>.qcow2)
#   SNF_IMAGE_ROOT_MB  root filesystem size (default 2048; growpart extends it to the flavor's disk)
#   SNF_IMAGE_SOURCES  apt sources for mmdebstrap (default: the host's deb822 Debian sources, else
#                   Debian's mirror)
#   SNF_IMAGE_RAMCLOUD  optional: a staged RAMCloud build (bin/, lib/, debs.txt: src/image/ramcloud.ts),
#                   copied to /opt/snf/ramcloud with the Debian packages of the libraries it links
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
APP=${SNF_IMAGE_APP:?SNF_IMAGE_APP: staged application directory}
OUT=${SNF_IMAGE_OUT:?SNF_IMAGE_OUT: output directory}
NAME=${SNF_IMAGE_NAME:?SNF_IMAGE_NAME: image name}
ROOT_MB=${SNF_IMAGE_ROOT_MB:-2048}
BOOT_MB=64
step() { echo "image: [$(date +%T)] $*"; }

for t in mmdebstrap mkfs.ext4 sfdisk mkfs.fat mcopy syslinux qemu-img tar; do
  command -v "$t" >/dev/null || { echo "image: '$t' not found: apt-get install $(sed 's/#.*//' "$HERE/../deps/image.txt" | tr -s ' \n' ' ')" >&2; exit 3; }
done
[ -f /usr/lib/SYSLINUX/mbr.bin ] || { echo "image: /usr/lib/SYSLINUX/mbr.bin not found: apt-get install syslinux-common" >&2; exit 3; }
[ "$(id -u)" = 0 ] || { echo "image: mmdebstrap --mode=root needs root" >&2; exit 3; }

# packages.txt plus the packages of the libraries node and snf.node link (staged as debs.txt), and
# RAMCloud's when the image takes it
RC=${SNF_IMAGE_RAMCLOUD:-}
RC_DEBS=/dev/null
RC_HOOK=(--customize-hook=true)
if [ -n "$RC" ]; then
  for f in bin/rc-coordinator bin/rc-server lib/libramcloud.so debs.txt; do
    [ -e "$RC/$f" ] || { echo "image: SNF_IMAGE_RAMCLOUD=$RC has no $f" >&2; exit 3; }
  done
  RC_DEBS="$RC/debs.txt"
  RC_HOOK=(--customize-hook="mkdir -p \"\$1/opt/snf/ramcloud\" && cp -a \"$RC/.\" \"\$1/opt/snf/ramcloud/\"")
fi
PKGS=$(cat "$HERE/packages.txt" "$APP/debs.txt" "$RC_DEBS" | sed 's/#.*//' | tr -s ' \t\n' '\n' | grep -v '^$' | sort -u | paste -sd, -)
SOURCES=${SNF_IMAGE_SOURCES:-}
if [ -z "$SOURCES" ]; then
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then SOURCES=/etc/apt/sources.list.d/debian.sources
  else SOURCES="deb http://deb.debian.org/debian bookworm main|deb http://deb.debian.org/debian-security bookworm-security main"; fi
fi
mkdir -p "$OUT"
W="$OUT/work"
rm -rf "$W"; mkdir -p "$W"
trap 'rm -rf "$W"' EXIT

step "root filesystem: mmdebstrap bookworm ($(echo "$PKGS" | tr ',' ' ' | wc -w) packages + dependencies)"
IFS='|' read -r -a SRC <<<"$SOURCES"
nice -n 10 mmdebstrap --mode=root --variant=minbase --include="$PKGS" \
  --aptopt='Acquire::Retries "3"' \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/locale/*' \
  --customize-hook='echo statelessnf > "$1/etc/hostname"' \
  --customize-hook='echo "LABEL=snfroot / ext4 rw,errors=remount-ro 0 1" > "$1/etc/fstab"' \
  --customize-hook=": > \"\$1/etc/machine-id\"" \
  --customize-hook="cp -a \"$HERE/rootfs/.\" \"\$1/\"" \
  --customize-hook="mkdir -p \"\$1/opt/statelessnf\" && cp -a \"$APP/.\" \"\$1/opt/statelessnf/\"" \
  "${RC_HOOK[@]}" \
  --customize-hook='chroot "$1" systemctl enable systemd-networkd' \
  --customize-hook='chroot "$1" systemctl disable redis-server' \
  --customize-hook='chroot "$1" systemctl disable dpdk' \
  --customize-hook='chroot "$1" /opt/statelessnf/bin/node --version' \
  bookworm "$W/rootfs" "${SRC[@]}" 2>&1 | sed -un '/^[IEW]:\|rror/s/^/image:   /p'
[ -x "$W/rootfs/opt/statelessnf/bin/node" ] || { echo "image: root filesystem incomplete" >&2; exit 1; }

step "kernel and initrd"
cp "$W"/rootfs/boot/vmlinuz-*-cloud-amd64 "$W/vmlinuz"
cp "$W"/rootfs/boot/initrd.img-*-cloud-amd64 "$W/initrd.img"

step "rootfs.tar (for the OCI image)"
tar --numeric-owner --xattrs -C "$W/rootfs" -cf "$W/rootfs.tar" .

step "ext4 root (${ROOT_MB} MiB, mkfs.ext4 -d)"
truncate -s "${ROOT_MB}M" "$W/root.ext4"
nice -n 10 mkfs.ext4 -q -L snfroot -d "$W/rootfs" "$W/root.ext4"
rm -rf "$W/rootfs"

step "BIOS disk: MBR + FAT16 /boot (SYSLINUX) + ext4 root"
truncate -s $(( (1 + BOOT_MB + ROOT_MB) * 1048576 )) "$W/disk.raw"
printf 'label: dos\nstart=2048, size=%d, type=e, bootable\nstart=%d, type=83\n' $((BOOT_MB * 2048)) $(((1 + BOOT_MB) * 2048)) | sfdisk -q "$W/disk.raw"
dd if=/usr/lib/SYSLINUX/mbr.bin of="$W/disk.raw" bs=440 count=1 conv=notrunc status=none
mkfs.fat -F 16 -n SNFBOOT --offset=2048 -h 2048 "$W/disk.raw" $((BOOT_MB * 1024)) >/dev/null
cat > "$W/syslinux.cfg" <<'CFG'
SERIAL 0 115200
PROMPT 0
TIMEOUT 1
DEFAULT snf
LABEL snf
  LINUX /vmlinuz
  INITRD /initrd.img
  APPEND root=LABEL=snfroot rw console=tty0 console=ttyS0,115200
CFG
mcopy -i "$W/disk.raw@@1M" "$W/vmlinuz" ::/vmlinuz
mcopy -i "$W/disk.raw@@1M" "$W/initrd.img" ::/initrd.img
mcopy -i "$W/disk.raw@@1M" "$W/syslinux.cfg" ::/syslinux.cfg
syslinux -t 1048576 --install "$W/disk.raw"
dd if="$W/root.ext4" of="$W/disk.raw" bs=1M seek=$((1 + BOOT_MB)) conv=notrunc,sparse status=none
rm -f "$W/root.ext4"

step "qcow2 (compressed)"
nice -n 10 qemu-img convert -c -m 4 -W -O qcow2 "$W/disk.raw" "$W/$NAME.qcow2"
rm -f "$W/disk.raw"
mv "$W/$NAME.qcow2" "$W/rootfs.tar" "$W/vmlinuz" "$W/initrd.img" "$OUT/"
step "done: $OUT/$NAME.qcow2 ($(du -m "$OUT/$NAME.qcow2" | cut -f1) MiB)"
